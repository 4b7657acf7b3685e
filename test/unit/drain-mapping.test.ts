import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/ingest/limits.ts";
import { drainEntryToRow } from "../../src/ingest/vercel.ts";
import { ALL, build, crash, edge, external, firewall, lambda, redirect, staticEntry, T0 } from "../fixtures/vercel.ts";

// Vercel drain entries → log rows, without the worker: the same entries test/worker/drain.test.ts sends through
// the route and reads back from ClickHouse, here straight through the mapping.

const P = {
	projectId: "11111111-1111-4111-8111-111111111111",
	apiKeyId: "22222222-2222-4222-8222-222222222222",
	receivedAt: T0,
	sdk: "",
};
const RECEIVED = "2026-11-26 08:00:01.000";

function row(entry: unknown) {
	const result = drainEntryToRow(entry, P, RECEIVED);
	if (!result.ok) throw new Error(`refused: ${result.reason}`);
	return result.row;
}

describe("drain mapping", () => {
	it("maps a lambda entry field by field, identity from the key, the rest in metadata", () => {
		const r = row(lambda);
		expect(r).toEqual({
			project_id: P.projectId,
			api_key_id: P.apiKeyId,
			received_at: RECEIVED,
			timestamp: "2026-11-26 08:00:00.123",
			service: "my-app",
			environment: "production",
			release: lambda.deploymentId,
			level: "info",
			message: lambda.message,
			metadata: expect.any(String),
			trace_id: lambda.traceId,
			span_id: lambda.spanId,
			request_id: lambda.requestId,
			context: "lambda",
			vercel_id: "",
			truncated: [],
			sdk: "",
		});
		const metadata = JSON.parse(r.metadata);
		const { message, timestamp, level, source, environment, deploymentId, requestId, traceId, spanId, ...rest } =
			lambda;
		expect(metadata).toEqual(rest);
		for (const mapped of ["message", "timestamp", "level", "source", "deploymentId", "requestId", "traceId", "spanId"])
			expect(metadata).not.toHaveProperty(mapped);
	});

	it.each<[string, object, string]>([
		["info", lambda, "info"],
		["a crash (statusCode -1)", crash, "error"],
		["warning → warn", build, "warn"],
		["error with a 504", edge, "error"],
		["fatal → error", external, "error"],
		["warning with a 403 in proxy", firewall, "warn"],
		["info with a 308", redirect, "info"],
		["info with a 200", staticEntry, "info"],
		["a 500 raises debug", { ...redirect, level: "debug", statusCode: 500 }, "error"],
		["no level", { ...redirect, level: undefined }, "info"],
		["upper case", { ...redirect, level: "WARNING" }, "warn"],
	])("level: %s", (_, entry, level) => {
		expect(row(entry).level).toBe(level);
	});

	it("reads trace.id / span.id, the context from source, the service from the project name, else its id", () => {
		expect(row(edge)).toMatchObject({ trace_id: edge["trace.id"], span_id: edge["span.id"], context: "edge" });
		expect(ALL.map((e) => row(e).context)).toEqual(ALL.map((e) => e.source));
		expect(row({ ...lambda, projectName: undefined }).service).toBe(lambda.projectId);
		expect(row({ timestamp: T0 }).service).toBe("vercel");
	});

	it.each<[string, unknown, string]>([
		["an array", [lambda], "not_an_object"],
		["null", null, "not_an_object"],
		["no timestamp", { ...lambda, timestamp: undefined }, "invalid_timestamp"],
		["a timestamp in seconds as a string", { ...lambda, timestamp: "1764144000" }, "invalid_timestamp"],
		["a numeric message", { ...lambda, message: 42 }, "invalid_message"],
		["an unknown level", { ...lambda, level: "loud" }, "invalid_level"],
	])("refuses %s", (_, entry, reason) => {
		expect(drainEntryToRow(entry, P, RECEIVED)).toEqual({ ok: false, reason });
	});

	it("clips what is past a bound of ours and lists it, never refusing the entry for it", () => {
		const long = row({
			...lambda,
			message: "x".repeat(LIMITS.logMessage + 5000),
			projectName: "p".repeat(300),
			deploymentId: "d".repeat(200),
			requestId: "r".repeat(300),
			blob: "b".repeat(LIMITS.objectBytes),
			timestamp: Date.UTC(1899, 11, 31),
		});
		expect(long.message).toHaveLength(LIMITS.logMessage + 1024); // Vercel's own marker fits
		expect([long.service.length, long.release.length, long.request_id.length]).toEqual([256, 128, 256]);
		expect(long.metadata.length).toBeLessThanOrEqual(LIMITS.objectBytes);
		expect(JSON.parse(long.metadata)).toMatchObject({ blob: "[truncated]", host: lambda.host });
		expect(long.timestamp).toBe("1900-01-01 00:00:00.000");
		expect(long.truncated).toEqual(["timestamp", "service", "release", "message", "metadata", "request_id"]);
	});
});
