import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import type { Config } from "../../src/config.ts";
import type { Services } from "../../src/ports.ts";
import { BudgetStore } from "../../src/ratelimit/budget.ts";
import { isolateServices } from "../../src/services/index.ts";
import { control, createKey, storedRows } from "./helpers.ts";

// Prices change without a deploy: set through the CLI's code (the control server calls dev/prices.ts as `npm run
// prices -- set` does), read by the worker through isolate → Redis → Postgres (the real engines), used within 60 s,
// and never awaited by a record priced from the isolate's copy. The clock is the app's (createApp({ now })), so the
// minute passes at once; the test's model families are its own, so no other file's prices move.

/** The real services, built once, with a count of every call to the price stores. */
function counted() {
	const calls = { get: 0, set: 0, list: 0 };
	let built: Services | undefined;
	const services = (config: Config): Services => {
		if (built) return built;
		const real = isolateServices(config);
		built = {
			...real,
			prices: {
				list: (at) => {
					calls.list++;
					return real.prices.list(at);
				},
			},
			priceCache: {
				get: () => {
					calls.get++;
					return real.priceCache.get();
				},
				set: (entry) => {
					calls.set++;
					return real.priceCache.set(entry);
				},
			},
		};
		return built;
	};
	return { calls, services };
}

const MILLION = 1_000_000;

describe("a price set through the CLI", () => {
	afterAll(() => control("/prices/evict"));

	it("prices the next records within 60 s; records priced from the isolate's copy wait for no store", async () => {
		const { calls, services } = counted();
		let clock = Date.now();
		const app = createApp({ createServices: services, now: () => clock, limits: { budgets: new BudgetStore() } });
		const k = await createKey();
		const family = `gpt-test-${crypto.randomUUID().slice(0, 8)}`;
		const set = (input: number, output: number, evict = true) =>
			control<{ revision: string }>("/prices/set", {
				model: family,
				provider: "openai",
				input,
				output,
				effective: new Date(clock).toISOString(),
				source: "https://example.com/pricing",
				evict,
			});

		/** One record of a million input and half a million output tokens (its dated id), sent at the app's clock. */
		const send = async () => {
			const ctx = createExecutionContext();
			const res = await app.fetch(
				new Request("http://ingest.test/ingest/llm", {
					method: "POST",
					headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
					body: JSON.stringify({
						model: `${family}-2026-12-01`,
						provider: "openai",
						operation: "chat",
						input_tokens: MILLION,
						output_tokens: MILLION / 2,
						cost_usd: 0,
						latency_ms: 1,
					}),
				}),
				env,
				ctx,
			);
			// What the request awaited has happened by now; its background work has not started yet.
			const atAnswer = { ...calls };
			await waitOnExecutionContext(ctx);
			expect(res.status).toBe(200);
			return atAnswer;
		};
		const costs = async () =>
			(
				await storedRows<{ cost_usd: number; cost_source: string; price_version: string }>("llm_usage", k.projectId)
			).map((r) => [r.cost_usd, r.cost_source, r.price_version]);

		const first = await set(1, 2);
		// A new isolate: one read, Redis (which the CLI emptied) then Postgres; the list goes back to Redis behind it.
		expect(await send()).toEqual({ get: 1, set: 0, list: 1 });
		expect(calls).toEqual({ get: 1, set: 1, list: 1 });
		// Warm: answered before any price store call of its own starts, and none runs behind it either.
		for (let i = 0; i < 3; i++) {
			clock += 1_000;
			expect(await send()).toEqual(calls);
		}
		expect(calls).toEqual({ get: 1, set: 1, list: 1 });
		// 1M × $1 + 0.5M × $2 per 1M tokens.
		expect(await costs()).toEqual(Array(4).fill([2, "inferred", first.revision]));

		// A new price, and Redis's copy dropped as the CLI does: the isolate's copy serves until it is read again,
		// behind the answer of the first record past the refresh point (15 s before its 30 s are up).
		const second = await set(3, 4);
		clock += 1_000;
		const loadedAt = clock - 4_000;
		expect(await send()).toEqual(calls);
		clock = loadedAt + 16_000;
		const before = { ...calls };
		expect(await send()).toEqual(before);
		expect(calls).toEqual({ get: before.get + 1, set: before.set + 1, list: before.list + 1 });
		clock += 1_000;
		expect(await send()).toEqual(calls);
		// 1M × $3 + 0.5M × $4 = $5, 17 s after the change.
		expect((await costs()).slice(4)).toEqual([
			[2, "inferred", first.revision],
			[2, "inferred", first.revision],
			[5, "inferred", second.revision],
		]);

		// The bound when nobody drops Redis's copy (another isolate may just have put the old list there): every
		// record 60 s or more after the change is priced by it, whatever the isolate and Redis held.
		const changedAt = clock;
		const third = await set(5, 6, false);
		const times: number[] = [];
		for (let t = 0; t <= 90_000; t += 5_000) {
			clock = changedAt + t;
			await send();
			times.push(t);
		}
		const rows = (await costs()).slice(7);
		expect(rows).toHaveLength(times.length);
		rows.forEach(([cost, , version], i) => {
			const t = times[i] as number;
			if (t >= 60_000) expect([t, cost, version]).toEqual([t, 8, third.revision]);
			else expect([5, 8]).toContain(cost);
		});
	});
});
