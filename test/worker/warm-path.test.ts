import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import type { Services } from "../../src/ports.ts";
import { BudgetStore } from "../../src/ratelimit/budget.ts";
import { isolateServices } from "../../src/services/index.ts";
import { createKey } from "./helpers.ts";

const LOG = JSON.stringify({ logs: [{ level: "info", message: "warm" }] });

/** The real services, with a count of every call to a store on the decision path (key lookups and the limiter). */
function counted() {
	const calls = { lookup: 0, postgres: 0, limiter: 0 };
	const services = (config: Parameters<typeof isolateServices>[0]): Services => {
		const real = isolateServices(config);
		return {
			...real,
			keyCache: {
				...real.keyCache,
				lookup: (...args) => {
					calls.lookup++;
					return real.keyCache.lookup(...args);
				},
				set: (...args) => real.keyCache.set(...args),
				claimTouch: (...args) => real.keyCache.claimTouch(...args),
				recordAuthFailure: (...args) => real.keyCache.recordAuthFailure(...args),
				ping: () => real.keyCache.ping(),
			},
			keys: {
				findByHash: (...args) => {
					calls.postgres++;
					return real.keys.findByHash(...args);
				},
				touchLastUsed: (...args) => real.keys.touchLastUsed(...args),
				ping: () => real.keys.ping(),
			},
			limiter: {
				limit: (...args) => {
					calls.limiter++;
					return real.limiter.limit(...args);
				},
			},
		};
	};
	return { calls, services };
}

describe("the warm path awaits no store", () => {
	it("a known key under its limit is answered before any store call of its own starts; a key in use is refreshed in the background", async () => {
		const { calls, services } = counted();
		let clock = Date.now();
		const app = createApp({
			createServices: services,
			now: () => clock,
			limits: { budgets: new BudgetStore(), flushMs: 5 },
		});
		const k = await createKey();
		const send = async () => {
			const ctx = createExecutionContext();
			const res = await app.fetch(
				new Request("http://ingest.test/ingest/logs", {
					method: "POST",
					headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
					body: LOG,
				}),
				env,
				ctx,
			);
			// What the request itself awaited has happened by now; its background work has not started yet.
			const atAnswer = { ...calls };
			await waitOnExecutionContext(ctx);
			return { status: res.status, atAnswer };
		};

		// New to the isolate: one lookup and one limiter call, sent together.
		const first = await send();
		expect(first.status).toBe(200);
		expect(first.atAnswer).toEqual({ lookup: 1, postgres: 1, limiter: 1 });

		for (let i = 0; i < 5; i++) {
			const before = { ...calls };
			const warm = await send();
			expect(warm.status).toBe(200);
			expect(warm.atAnswer).toEqual(before);
		}

		// 20 s later the isolate's entry nears its end: still answered from the isolate, refreshed behind the answer.
		clock += 20_000;
		const before = { ...calls };
		const refreshing = await send();
		expect(refreshing.atAnswer.lookup).toBe(before.lookup);
		expect(calls.lookup).toBe(before.lookup + 1);
		// 40 s after the first lookup the old entry would be stale (30 s); the refreshed one is not.
		clock += 20_000;
		const later = { ...calls };
		const stillWarm = await send();
		expect(stillWarm.status).toBe(200);
		expect(stillWarm.atAnswer.lookup).toBe(later.lookup);
		expect(stillWarm.atAnswer.postgres).toBe(later.postgres);
	});
});
