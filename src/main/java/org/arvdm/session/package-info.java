/**
 * Interactive sessions: a loop state kept on the heap between actions, paced in realtime mode or
 * driven by actions in step mode, with its action queue, replay buffer, recording, fork and expiry;
 * run on the engine's job runner and batched through the same gateway as one-shot generations.
 */
package org.arvdm.session;
