import { describe, expect, it } from "vitest";
import { call, withServiceStopped } from "./helpers.ts";

describe("GET /health", () => {
	it("answers exactly status and an ISO 8601 timestamp, with a request id", async () => {
		const res = await call("/health");
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/^application\/json/);
		expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
		const body = (await res.json()) as Record<string, unknown>;
		expect(Object.keys(body)).toEqual(["status", "timestamp"]);
		expect(body.status).toBe("ok");
		expect(new Date(body.timestamp as string).toISOString()).toBe(body.timestamp);
	});
});

describe("GET /health/ready", () => {
	it("is 200 with every dependency ok and its latency", async () => {
		const res = await call("/health/ready");
		const body = (await res.json()) as {
			status: string;
			dependencies: Record<string, { status: string; latency_ms: number }>;
		};
		expect(res.status).toBe(200);
		expect(body.status).toBe("ok");
		for (const name of ["clickhouse", "redis", "postgres"]) {
			expect(body.dependencies[name]?.status).toBe("ok");
			expect(body.dependencies[name]?.latency_ms).toBeGreaterThanOrEqual(0);
		}
	});

	for (const name of ["clickhouse", "redis", "postgres"] as const) {
		it(`is 503 naming ${name} while ${name} is really stopped, and 200 again once it is back`, async () => {
			await withServiceStopped(name, async () => {
				const res = await call("/health/ready");
				const body = (await res.json()) as { status: string; dependencies: Record<string, { status: string }> };
				expect(res.status).toBe(503);
				expect(body.status).toBe("degraded");
				expect(body.dependencies[name]?.status).toBe("error");
				const others = Object.entries(body.dependencies).filter(([n]) => n !== name);
				for (const [, dep] of others) expect(dep.status).toBe("ok");
			});
			// Back at the very first check: the stack's start() returns only once the service really answers (for
			// Redis, once INFO says loading and async_loading are 0 and a data command passes).
			const back = await call("/health/ready");
			expect(back.status, await back.text()).toBe(200);
		});
	}
});

describe("errors are JSON", () => {
	it("answers an unknown route with a JSON 404", async () => {
		const res = await call("/nope");
		expect(res.status).toBe(404);
		expect(await res.json()).toEqual({ error: "Not found" });
		expect(res.headers.get("x-request-id")).toBeTruthy();
	});
});
