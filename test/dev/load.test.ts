import { describe, expect, it } from "vitest";
import { soak } from "../../bench/soak.ts";

// A short run of `npm run load` (which runs minutes): many connections against `wrangler dev` on the local stack.
describe("load on loopback", () => {
	it("answers no 5xx and stores exactly the rows it acknowledged", async () => {
		const r = await soak(300, 32);
		console.info(
			JSON.stringify({
				load: { requests: r.requests, p50: r.p50Ms, p99: r.p99Ms, acked: r.acknowledgedRows, stored: r.storedRows },
			}),
		);
		expect(r.requests).toBe(300);
		expect(r.status5xx).toBe(0);
		expect(r.errors + r.timeouts).toBe(0);
		expect(r.ok2xx).toBe(300);
		expect(r.storedRows).toBe(r.acknowledgedRows);
	}, 300_000);
});
