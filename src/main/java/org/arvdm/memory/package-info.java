/**
 * The memory module of the framework: what a generation keeps of the frames that left the window
 * ({@code History}) and how the network sees it: none, a window of frames ({@code FrameMemory}) or
 * tokens from a memory encoder ({@code TokenMemory}), with the budget the metrics report.
 */
package org.arvdm.memory;
