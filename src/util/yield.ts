/**
 * Resolves on a later turn of the event loop (a timer, not a microtask): long CPU work that awaits it between slices
 * lets the isolate's other requests (a health check, an error report) run in between.
 */
export function nextTurn(): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, 0));
}
