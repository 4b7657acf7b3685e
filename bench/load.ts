/**
 * Part 3's load generator: autocannon against one worker, in its own process (so the stack's engines in the
 * parent do not share its event loop). Prints one JSON result line.
 *   node bench/load.ts <url> <api key> <body file> <seconds> <connections> [requests]
 * With `requests`, exactly that many are sent (every response counted) and `seconds` is ignored.
 */
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import { emitResult } from "./child.ts";

const [url, key, bodyFile, seconds = "10", connections = "16", requests] = process.argv.slice(2);
if (!url || !key || !bodyFile) throw new Error("usage: load.ts <url> <key> <body file> [seconds] [connections]");

const result = await autocannon({
	url,
	method: "POST",
	headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
	body: readFileSync(bodyFile, "utf8"),
	...(requests ? { amount: Number(requests) } : { duration: Number(seconds) }),
	connections: Number(connections),
	pipelining: 1,
	timeout: 10,
});

emitResult({
	requests: result.requests.total,
	rps: result.requests.average,
	durationS: result.duration,
	p50Ms: result.latency.p50,
	p99Ms: result.latency.p99,
	ok2xx: result["2xx"],
	non2xx: result.non2xx,
	errors: result.errors,
	timeouts: result.timeouts,
	statusCodes: result.statusCodeStats ?? {},
});
