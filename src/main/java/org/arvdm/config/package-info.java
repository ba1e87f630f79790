/**
 * Spring wiring: {@code ArvdmProperties} (every {@code arvdm.*} setting, bound and checked) and
 * {@code ServiceConfiguration}, which builds the plain-Java engine, registry, runners and metrics
 * as beans and declares the health parts of readiness.
 */
package org.arvdm.config;
