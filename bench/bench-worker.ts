/**
 * A bench worker under workerd: wrangler's unstable_startWorker as `wrangler dev` runs it (minified unless said,
 * no inspector unless given a port, nothing persisted or watched), ready when returned; and its JSON answers.
 */
import { unstable_startWorker } from "wrangler";

export type BenchWorker = Awaited<ReturnType<typeof unstable_startWorker>>;

export async function startBenchWorker(opts: {
	entrypoint: string;
	compatibilityDate: string;
	bundle?: boolean;
	minify?: boolean;
	inspectorPort?: number;
}): Promise<BenchWorker> {
	const worker = await unstable_startWorker({
		entrypoint: opts.entrypoint,
		compatibilityDate: opts.compatibilityDate,
		build: { bundle: opts.bundle ?? true, minify: opts.minify ?? true },
		dev: {
			server: { hostname: "127.0.0.1", port: 0 },
			inspector: opts.inspectorPort === undefined ? false : { port: opts.inspectorPort },
			persist: false,
			watch: false,
			logLevel: "none",
		},
	});
	try {
		await worker.ready;
	} catch (err) {
		await worker.dispose();
		throw err;
	}
	return worker;
}

/** The worker's JSON answer to a GET (or a POST with `body`); anything but a 2xx throws with the start of its text. */
export async function workerJson<T>(
	worker: BenchWorker,
	path: string,
	body?: string | Uint8Array<ArrayBuffer>,
): Promise<T> {
	const init = body === undefined ? undefined : { method: "POST", body };
	const res = await worker.fetch(`http://bench${path}`, init);
	const text = await res.text();
	if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 500)}`);
	return JSON.parse(text) as T;
}
