import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import type { RateLimiter } from "../../src/ports.ts";
import { BudgetStore, knobsFor } from "../../src/ratelimit/budget.ts";
import { isolateServices } from "../../src/services/index.ts";
import { createKey, storedRows } from "./helpers.ts";

const LOG = JSON.stringify({ logs: [{ level: "info", message: "limited" }] });

/** An app with budgets of its own: what one isolate has. All apps share the test stack's real Redis. */
function isolate() {
	return createApp({ createServices: isolateServices, limits: { budgets: new BudgetStore(), flushMs: 5 } });
}

async function send(app: ReturnType<typeof isolate>, key: string, pending?: ExecutionContext[]): Promise<Response> {
	const ctx = createExecutionContext();
	const res = await app.fetch(
		new Request("http://ingest.test/ingest/logs", {
			method: "POST",
			headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
			body: LOG,
		}),
		env,
		ctx,
	);
	// Every background report really runs before the next request (or, given `pending`, before the test ends).
	if (pending) pending.push(ctx);
	else await waitOnExecutionContext(ctx);
	return res;
}

/** The sliding window frees capacity as a new minute starts: run well inside one window. */
async function startWellInsideAWindow(seconds: number): Promise<void> {
	const intoWindow = Date.now() % 60_000;
	if (intoWindow > 60_000 - seconds * 1000) await new Promise((r) => setTimeout(r, 60_000 - intoWindow + 200));
}

describe("rate limits decided at the edge, reconciled through the real Redis", () => {
	it("two isolates alternating on one key admit L to L + B + 2·U of 3L requests; a third isolate is refused at once", async () => {
		const L = 100;
		const { cap, batch } = knobsFor(L);
		const k = await createKey({ rateLimit: L });
		await startWellInsideAWindow(20);
		const apps = [isolate(), isolate()];
		const lastRemaining = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
		let admitted = 0;
		for (let n = 0; n < 3 * L; n++) {
			const which = n % 2;
			const res = await send(apps[which] as ReturnType<typeof isolate>, k.key);
			const remaining = Number(res.headers.get("x-ratelimit-remaining"));
			expect(res.headers.get("x-ratelimit-limit")).toBe(String(L));
			expect(remaining).toBeLessThanOrEqual(lastRemaining[which] as number);
			lastRemaining[which] = remaining;
			if (res.status === 200) admitted++;
			else {
				expect(res.status).toBe(429);
				expect(remaining).toBe(0);
				expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
			}
		}
		console.info(JSON.stringify({ two_isolates: { limit: L, requests: 3 * L, admitted, bound: L + batch + 2 * cap } }));
		expect(admitted).toBeGreaterThanOrEqual(L);
		expect(admitted).toBeLessThanOrEqual(L + batch + 2 * cap);
		// Converged: an isolate that never saw the key learns from Redis that it is spent.
		const third = await send(isolate(), k.key);
		expect(third.status).toBe(429);
		expect(third.headers.get("x-ratelimit-remaining")).toBe("0");
		expect(await storedRows("logs", k.projectId)).toHaveLength(admitted);
	}, 90_000);

	it("a burst of 200 concurrent requests on a new key limited to 20 admits 20 plus at most one isolate's bound", async () => {
		const L = 20;
		const { cap, batch } = knobsFor(L);
		const k = await createKey({ rateLimit: L });
		await startWellInsideAWindow(10);
		const app = isolate();
		const responses = await Promise.all(Array.from({ length: 200 }, () => send(app, k.key)));
		const ok = responses.filter((r) => r.status === 200);
		const refused = responses.filter((r) => r.status === 429);
		expect(ok.length + refused.length).toBe(200);
		console.info(JSON.stringify({ burst: { limit: L, requests: 200, admitted: ok.length, bound: L + batch + cap } }));
		expect(ok.length).toBeGreaterThanOrEqual(L);
		expect(ok.length).toBeLessThanOrEqual(L + batch + cap);
		// Nobody was told the whole budget was left after it had been spent.
		for (const r of ok) expect(Number(r.headers.get("x-ratelimit-remaining"))).toBeLessThan(L);
		for (const r of refused) expect(r.headers.get("x-ratelimit-remaining")).toBe("0");
		expect(await storedRows("logs", k.projectId)).toHaveLength(ok.length);
	}, 90_000);

	it("a key over its limit is refused from the isolate's budget, with no call to Redis; a warm key calls it once per batch", async () => {
		let calls = 0;
		const app = createApp({
			createServices: (config) => {
				const real = isolateServices(config);
				const limiter: RateLimiter = {
					limit: (...args) => {
						calls++;
						return real.limiter.limit(...args);
					},
				};
				return { ...real, limiter };
			},
			// Reports go out when B admissions are unsent; the timer (T) fires only after the requests below.
			limits: { budgets: new BudgetStore(), flushMs: 3_000 },
		});
		await startWellInsideAWindow(10);
		const warm = await createKey({ rateLimit: 1000 });
		const { batch } = knobsFor(1000);
		const pending: ExecutionContext[] = [];
		for (let i = 0; i < 5 * batch + 1; i++) expect((await send(app, warm.key, pending)).status).toBe(200);
		await Promise.all(pending.map((ctx) => waitOnExecutionContext(ctx)));
		// One call for the new key, then at most one report per B admissions (B = 2 at L = 1,000; 10 at the default
		// 5,000): reports start after the response, so admissions that arrive meanwhile go out together.
		expect(calls).toBeGreaterThanOrEqual(2);
		expect(calls).toBeLessThanOrEqual(1 + 5);
		// Every admission reached the shared count: an isolate new to the key sees 1,000 − 11 − its own request.
		const fresh = await send(isolate(), warm.key);
		expect(fresh.headers.get("x-ratelimit-remaining")).toBe(String(1000 - 5 * batch - 1 - 1));

		const spent = await createKey({ rateLimit: 2 });
		const statuses: number[] = [];
		for (let i = 0; i < 3; i++) statuses.push((await send(app, spent.key)).status);
		expect(statuses).toEqual([200, 200, 429]);
		const before = calls;
		for (let i = 0; i < 10; i++) expect((await send(app, spent.key)).status).toBe(429);
		expect(calls).toBe(before);
	});
});
