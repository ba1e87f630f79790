/**
 * Interactive sessions: a loop state kept on the heap between actions, paced in realtime mode or
 * driven by actions in step mode, with its action queue, replay buffer, recording, fork and expiry;
 * run on the engine's job runner and batched through the same gateway as one-shot generations;
 * what they report for metrics goes through {@link org.arvdm.session.SessionObserver}.
 */
package org.arvdm.session;
