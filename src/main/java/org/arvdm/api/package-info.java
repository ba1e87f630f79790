/**
 * The HTTP edge: controllers for generations, sessions (REST, SSE and WebSocket), evaluations,
 * models and clips; request records and their strict JSON decoding; the one mapper from failures to problem+json ({@code ApiErrors}); API keys, the body limit,
 * the shutdown drain and the self warm-up. Parses and maps only: planning and running belong to the
 * engine.
 */
package org.arvdm.api;
