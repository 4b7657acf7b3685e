import { beforeAll, describe, expect, it } from "vitest";
import { createKey, ingest, storedRows, type TestKey } from "./helpers.ts";

// Every required field missing, wrong types, bounds and enums → the exact documented 400 body, nothing stored.

const VALID = {
	"/ingest/logs": { logs: [{ level: "info", message: "m" }] },
	"/ingest/errors": { error_message: "e", stack_trace: "s" },
	"/ingest/traces": {
		trace_id: "t",
		span_id: "s",
		operation: "o",
		start_time: "2026-02-23T00:00:00.000Z",
		duration_ms: 1,
	},
	"/ingest/llm": { model: "m", provider: "p", operation: "o", input_tokens: 1, output_tokens: 1, latency_ms: 1 },
} as const;
type Route = keyof typeof VALID;

const REQUIRED: Record<Route, [string, string][]> = {
	"/ingest/logs": [["logs", "array"]],
	"/ingest/errors": [
		["error_message", "string"],
		["stack_trace", "string"],
	],
	"/ingest/traces": [
		["trace_id", "string"],
		["span_id", "string"],
		["operation", "string"],
		["start_time", "string"],
		["duration_ms", "number"],
	],
	"/ingest/llm": [
		["model", "string"],
		["provider", "string"],
		["operation", "string"],
		["input_tokens", "number"],
		["output_tokens", "number"],
		["latency_ms", "number"],
	],
};

let k: TestKey;
beforeAll(async () => {
	k = await createKey();
});

async function expect400(route: Route, body: unknown, issues: unknown[]) {
	const res = await ingest(route, k.key, body);
	expect(res.status).toBe(400);
	expect(await res.json()).toEqual({ success: false, error: { issues, name: "ZodError" } });
}

describe("the documented 400 body", () => {
	it("reads exactly as documented for a missing error_message", async () => {
		const res = await ingest("/ingest/errors", k.key, { stack_trace: "s" });
		expect(res.status).toBe(400);
		expect(await res.text()).toBe(
			JSON.stringify({
				success: false,
				error: {
					issues: [
						{
							code: "invalid_type",
							expected: "string",
							received: "undefined",
							path: ["error_message"],
							message: "Required",
						},
					],
					name: "ZodError",
				},
			}),
		);
	});

	for (const [route, fields] of Object.entries(REQUIRED) as [Route, [string, string][]][]) {
		for (const [field, expected] of fields) {
			it(`${route}: missing ${field}`, async () => {
				const body: Record<string, unknown> = { ...VALID[route] };
				delete body[field];
				await expect400(route, body, [
					{ code: "invalid_type", expected, received: "undefined", path: [field], message: "Required" },
				]);
			});
			it(`${route}: ${field} of the wrong type`, async () => {
				const wrong = expected === "string" ? 42 : "42";
				await expect400(route, { ...VALID[route], [field]: wrong }, [
					{
						code: "invalid_type",
						expected,
						received: typeof wrong,
						path: [field],
						message: `Expected ${expected}, received ${typeof wrong}`,
					},
				]);
			});
		}
	}

	it("nested log entry fields carry their path", async () => {
		await expect400("/ingest/logs", { logs: [{ level: "info", message: "ok" }, { level: "info" }] }, [
			{
				code: "invalid_type",
				expected: "string",
				received: "undefined",
				path: ["logs", 1, "message"],
				message: "Required",
			},
		]);
	});

	it("the body must be an object", async () => {
		await expect400(
			"/ingest/llm",
			[1, 2],
			[
				{
					code: "invalid_type",
					expected: "object",
					received: "array",
					path: [],
					message: "Expected object, received array",
				},
			],
		);
	});

	it("metadata must be an object", async () => {
		await expect400("/ingest/traces", { ...VALID["/ingest/traces"], metadata: [1] }, [
			{
				code: "invalid_type",
				expected: "object",
				received: "array",
				path: ["metadata"],
				message: "Expected object, received array",
			},
		]);
	});
});

describe("bounds", () => {
	it("1 to 1000 logs", async () => {
		await expect400("/ingest/logs", { logs: [] }, [
			{
				code: "too_small",
				minimum: 1,
				type: "array",
				inclusive: true,
				exact: false,
				path: ["logs"],
				message: "Array must contain at least 1 element(s)",
			},
		]);
		const many = { logs: Array.from({ length: 1001 }, () => ({ level: "info", message: "m" })) };
		await expect400("/ingest/logs", many, [
			{
				code: "too_big",
				maximum: 1000,
				type: "array",
				inclusive: true,
				exact: false,
				path: ["logs"],
				message: "Array must contain at most 1000 element(s)",
			},
		]);
		const k1000 = await createKey();
		const exactly = { logs: Array.from({ length: 1000 }, (_, i) => ({ level: "info", message: `m${i}` })) };
		const res = await ingest("/ingest/logs", k1000.key, exactly);
		expect(await res.json()).toEqual({ ok: true, count: 1000 });
		expect(await storedRows("logs", k1000.projectId)).toHaveLength(1000);
	});

	const tooLong = (path: (string | number)[]) => ({
		code: "too_big",
		maximum: 128,
		type: "string",
		inclusive: true,
		exact: false,
		path,
		message: "String must contain at most 128 character(s)",
	});

	it("release is at most 128 characters, on the batch and on each log entry", async () => {
		const r = "r".repeat(129);
		await expect400("/ingest/logs", { release: r, logs: [{ level: "info", message: "m" }] }, [tooLong(["release"])]);
		await expect400("/ingest/logs", { logs: [{ level: "info", message: "m", release: r }] }, [
			tooLong(["logs", 0, "release"]),
		]);
		for (const route of ["/ingest/errors", "/ingest/traces", "/ingest/llm"] as const) {
			await expect400(route, { ...VALID[route], release: r }, [tooLong(["release"])]);
		}
		expect(
			(await ingest("/ingest/errors", k.key, { ...VALID["/ingest/errors"], release: "r".repeat(128) })).status,
		).toBe(200);
	});

	for (const field of ["duration_ms"] as const) {
		it(`${field} must be >= 0`, async () => {
			await expect400("/ingest/traces", { ...VALID["/ingest/traces"], [field]: -1 }, [
				{
					code: "too_small",
					minimum: 0,
					type: "number",
					inclusive: true,
					exact: false,
					path: [field],
					message: "Number must be greater than or equal to 0",
				},
			]);
		});
	}

	for (const field of ["input_tokens", "output_tokens", "latency_ms", "cost_usd"] as const) {
		it(`${field} must be >= 0`, async () => {
			const res = await ingest("/ingest/llm", k.key, { ...VALID["/ingest/llm"], [field]: -0.6 });
			expect(res.status).toBe(400);
			const body = (await res.json()) as { error: { issues: { path: string[]; code: string }[] } };
			expect(body.error.issues).toEqual([expect.objectContaining({ code: "too_small", path: [field] })]);
		});
	}
});

describe("enums and timestamps", () => {
	it("log level", async () => {
		await expect400("/ingest/logs", { logs: [{ level: "verbose", message: "m" }] }, [
			{
				code: "invalid_enum_value",
				options: ["debug", "info", "warn", "error"],
				received: "verbose",
				path: ["logs", 0, "level"],
				message: "Invalid enum value. Expected 'debug' | 'info' | 'warn' | 'error', received 'verbose'",
			},
		]);
	});

	it("severity and status", async () => {
		await expect400("/ingest/errors", { ...VALID["/ingest/errors"], severity: "fatal" }, [
			{
				code: "invalid_enum_value",
				options: ["low", "medium", "high", "critical"],
				received: "fatal",
				path: ["severity"],
				message: "Invalid enum value. Expected 'low' | 'medium' | 'high' | 'critical', received 'fatal'",
			},
		]);
		await expect400("/ingest/traces", { ...VALID["/ingest/traces"], status: "unset" }, [
			{
				code: "invalid_enum_value",
				options: ["ok", "error"],
				received: "unset",
				path: ["status"],
				message: "Invalid enum value. Expected 'ok' | 'error', received 'unset'",
			},
		]);
	});

	it("ISO 8601 timestamps", async () => {
		for (const bad of ["yesterday", "2026-02-23", "1700000000000", "2026-13-01T00:00:00Z"]) {
			await expect400("/ingest/traces", { ...VALID["/ingest/traces"], start_time: bad }, [
				{ code: "invalid_string", validation: "datetime", path: ["start_time"], message: "Invalid datetime" },
			]);
		}
		await expect400("/ingest/logs", { logs: [{ level: "info", message: "m", timestamp: "now" }] }, [
			{ code: "invalid_string", validation: "datetime", path: ["logs", 0, "timestamp"], message: "Invalid datetime" },
		]);
		const crumbs = { ...VALID["/ingest/errors"], breadcrumbs: [{ type: "ui", message: "click", timestamp: "later" }] };
		await expect400("/ingest/errors", crumbs, [
			{
				code: "invalid_string",
				validation: "datetime",
				path: ["breadcrumbs", 0, "timestamp"],
				message: "Invalid datetime",
			},
		]);
	});

	it("stores nothing for refused requests", async () => {
		const fresh = await createKey();
		await ingest("/ingest/logs", fresh.key, { logs: [{ level: "info" }] });
		await ingest("/ingest/errors", fresh.key, { stack_trace: "s" });
		expect(await storedRows("logs", fresh.projectId)).toHaveLength(0);
		expect(await storedRows("errors", fresh.projectId)).toHaveLength(0);
	});
});
