/**
 * Waits on this request's own timers while `busy()` holds, at most `maxMs`, looking again after 1, 2, 4, 8 ms, then
 * every `pollMaxMs`. How a request waits for work another request began (a key lookup, a read of the price table):
 * through plain state, never by awaiting that request's promise. Workers refuse I/O on behalf of another request,
 * and a promise of a request that was cancelled never settles.
 */
export async function waitWhile(busy: () => boolean, maxMs: number, pollMaxMs = 10): Promise<void> {
	for (let waited = 0, delay = 1; busy() && waited < maxMs; waited += delay) {
		await new Promise((resolve) => setTimeout(resolve, delay));
		delay = Math.min(delay * 2, pollMaxMs);
	}
}
