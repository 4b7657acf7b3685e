import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import type { Services } from "../../src/ports.ts";
import { isolateServices } from "../../src/services/index.ts";
import { createKey } from "./helpers.ts";

const LOG = JSON.stringify({ logs: [{ level: "info", message: "single flight" }] });
const randomKey = () => `dt_${crypto.randomUUID().replaceAll("-", "")}${crypto.randomUUID().replaceAll("-", "")}`;

/** The real stores, with their key reads counted (and the first Postgres read optionally never answering). */
function counted(opts: { firstFindHangs?: boolean } = {}) {
	const calls = { find: 0, cacheLookup: 0, failures: 0 };
	const app = createApp({
		createServices: (config): Services => {
			const real = isolateServices(config);
			return {
				...real,
				// Delegations, not spreads: the real stores' methods live on their prototypes.
				keys: {
					findByHash: (hash) => {
						calls.find++;
						if (opts.firstFindHangs && calls.find === 1) return new Promise(() => undefined);
						return real.keys.findByHash(hash);
					},
					touchLastUsed: (id) => real.keys.touchLastUsed(id),
					ping: () => real.keys.ping(),
				},
				keyCache: {
					lookup: (...args) => {
						calls.cacheLookup++;
						return real.keyCache.lookup(...args);
					},
					set: (...args) => real.keyCache.set(...args),
					claimTouch: (id) => real.keyCache.claimTouch(id),
					recordAuthFailure: (...args) => {
						calls.failures++;
						return real.keyCache.recordAuthFailure(...args);
					},
					ping: () => real.keyCache.ping(),
				},
			};
		},
	});
	return { app, calls };
}

/** n requests of one key at once, each with its own execution context (as separate requests have). */
async function burst(app: ReturnType<typeof createApp>, key: string, n: number, ip: string): Promise<Response[]> {
	return Promise.all(
		Array.from({ length: n }, async () => {
			const ctx = createExecutionContext();
			const res = await app.fetch(
				new Request("http://ingest.test/ingest/logs", {
					method: "POST",
					headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "cf-connecting-ip": ip },
					body: LOG,
				}),
				env,
				ctx,
			);
			await waitOnExecutionContext(ctx);
			return res;
		}),
	);
}

const statuses = (responses: Response[]) => responses.map((r) => r.status).sort();

describe("a key new to the isolate is looked up once, however many of its requests arrive together", () => {
	it("20 concurrent first requests of a key: one Redis read, one Postgres query, 20 answers", async () => {
		const k = await createKey();
		const { app, calls } = counted();
		const responses = await burst(app, k.key, 20, "203.0.113.120");
		expect(statuses(responses)).toEqual(Array(20).fill(200));
		expect(calls).toMatchObject({ find: 1, cacheLookup: 1 });
	});

	it("the same unknown key sent 20 times at once: one lookup, one failure counted, 20 × 401", async () => {
		const { app, calls } = counted();
		const responses = await burst(app, randomKey(), 20, "203.0.113.121");
		expect(statuses(responses)).toEqual(Array(20).fill(401));
		expect(calls).toMatchObject({ find: 1, cacheLookup: 1, failures: 1 });
	});

	it("a lookup that never answers holds the others only until its own timeout; then they look up themselves", async () => {
		const k = await createKey();
		const { app, calls } = counted({ firstFindHangs: true });
		const started = Date.now();
		const responses = await burst(app, k.key, 5, "203.0.113.122");
		// The first gave up on Postgres after its 3 s timeout (503, retryable) and left no answer; the first of the
		// others to look again took over, and the rest (looking every 10 ms) mostly waited for that one instead.
		expect(statuses(responses)).toEqual([200, 200, 200, 200, 503]);
		expect(calls.find).toBeGreaterThanOrEqual(2);
		expect(calls.find).toBeLessThanOrEqual(5);
		expect(Date.now() - started).toBeLessThan(10_000);
	});
});
