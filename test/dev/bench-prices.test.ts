import { describe, expect, it } from "vitest";
import { neonStatements, upstashCommands } from "../../bench/distance-proxy.ts";
import { perMillion } from "../../bench/prices.ts";

// The cost section's arithmetic (bench/prices.ts) against the worked examples of the providers' pages, and the
// proxies' counting of what a request carries: a wrong unit here would misprice every line of the table.
describe("bench: pricing per 1M requests", () => {
	const none = { cpuMs: 0, upstashCommands: 0, r2ClassA: 0, r2ClassB: 0, logEvents: 0, logBytes: 0 };

	it("prices each line as the providers' examples do", () => {
		// Workers: 5 ms of CPU a request is $0.10 per 1M requests, on top of $0.30 for the requests.
		expect(perMillion({ ...none, cpuMs: 5 })).toMatchObject({ requests: 0.3, cpu: 0.1 });
		// Upstash: 3 commands a request (a fixed-window EVAL and its two calls) is $6.00 per 1M requests.
		expect(perMillion({ ...none, upstashCommands: 3 }).upstash).toBeCloseTo(6);
		// R2: one PutObject and one GetObject a request is $4.50 + $0.36 per 1M requests.
		expect(perMillion({ ...none, r2ClassA: 1, r2ClassB: 1 }).r2).toBeCloseTo(4.86);
		// Workers Logs: 2 KB ingested a request is 2 GB per 1M requests, $0.50.
		expect(perMillion({ ...none, logEvents: 2, logBytes: 2000 }).logs).toBeCloseTo(0.5);
	});
});

describe("bench: what the store proxies count", () => {
	it("counts a pipeline's commands and a transaction's statements one by one", () => {
		const pipeline = Buffer.from(
			JSON.stringify([
				["GET", "a"],
				["SET", "b", "1"],
			]),
		);
		expect(upstashCommands("/pipeline", pipeline)).toEqual({ commands: 2, what: "pipeline[get,set]" });
		expect(upstashCommands("/", Buffer.from(JSON.stringify(["EVALSHA", "abc", "1", "k"])))).toMatchObject({
			commands: 1,
			what: "evalsha",
		});
		const one = Buffer.from(JSON.stringify({ query: "SELECT 1", params: [] }));
		expect(neonStatements(one)).toEqual({ commands: 1, what: "select" });
		const tx = Buffer.from(JSON.stringify({ queries: [{ query: "UPDATE t SET a = 1" }, { query: "select 2" }] }));
		expect(neonStatements(tx)).toEqual({ commands: 2, what: "transaction[update,select]" });
	});
});
