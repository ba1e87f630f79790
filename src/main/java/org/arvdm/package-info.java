/**
 * The service's entry point ({@code ArvdmApplication}): a Spring Boot WebFlux application that
 * serves auto-regressive video diffusion models. Everything else lives in the sub-packages: the
 * engine ({@code generation}, {@code memory}) knows nothing of Spring or HTTP; {@code model} loads
 * bundles through DJL; {@code api} and {@code config} are the only Spring code.
 */
package org.arvdm;
