/**
 * Runs background work (a cache refresh, a rate-limit report, last-use) once the response is on its way: started
 * from a timer, not from the handler, so no store request of it goes out before the answer. Errors are dropped:
 * background work reports its own failures where they matter.
 */
export function afterResponse(defer: (work: Promise<unknown>) => void, work: () => Promise<unknown>): void {
	defer(new Promise<void>((resolve) => setTimeout(resolve, 0)).then(work).catch(() => undefined));
}
