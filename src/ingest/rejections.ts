/**
 * Items of a batch refused one by one (a drain entry without a time, an OTLP span without ids), by reason: one shape
 * for every route, carried as is onto the wide event (`rejected_reasons`) and summed into `rejected`. An object with
 * no prototype, so that a reason can never name an inherited member.
 */
export type Rejections = Record<string, number>;

export const noRejections = (): Rejections => Object.create(null) as Rejections;

export function reject(r: Rejections, why: string): void {
	r[why] = (r[why] ?? 0) + 1;
}

export function rejectedCount(r: Rejections): number {
	let n = 0;
	for (const why in r) n += r[why] as number;
	return n;
}

/** The distinct reasons with their counts, the first five, as one line (OTLP's partial_success.error_message). */
export function rejectionMessage(r: Rejections): string {
	return Object.entries(r)
		.slice(0, 5)
		.map(([why, n]) => `${n} rejected: ${why}`)
		.join("; ");
}
