import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { clearIsolateKeyCache } from "../../src/auth/lookup.ts";
import { createServices } from "../../src/services/index.ts";
import { callApp, control, createKey, ingest, revokeKey, storedRows, withServiceStopped } from "./helpers.ts";

const LOG = { logs: [{ level: "info", message: "degraded" }] };

describe("degraded modes, with the service really stopped", () => {
	it("Redis down: keys are checked in Postgres, the rate limit fails open, rows are stored", async () => {
		const k = await createKey({ rateLimit: 1 });
		await withServiceStopped("redis", async () => {
			for (let i = 0; i < 3; i++) {
				const res = await ingest("/ingest/logs", k.key, LOG);
				expect(res.status).toBe(200);
				expect(res.headers.get("x-ratelimit-limit")).toBe("1");
			}
		});
		expect(await storedRows("logs", k.projectId)).toHaveLength(3);
	});

	it("Postgres down: a key seen before keeps working (isolate and Redis tiers), an unseen key gets 503 with Retry-After", async () => {
		const seen = await createKey();
		const unseen = await createKey();
		expect((await ingest("/ingest/logs", seen.key, LOG)).status).toBe(200);
		await withServiceStopped("postgres", async () => {
			expect((await ingest("/ingest/logs", seen.key, LOG)).status).toBe(200);
			clearIsolateKeyCache(); // a fresh isolate: only Redis knows the key now
			expect((await ingest("/ingest/logs", seen.key, LOG)).status).toBe(200);
			const res = await ingest("/ingest/logs", unseen.key, LOG);
			expect(res.status).toBe(503);
			expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
			expect(await res.json()).toEqual({ error: "Service temporarily unavailable" });
		});
		expect(await storedRows("logs", seen.projectId)).toHaveLength(3);
		expect(await storedRows("logs", unseen.projectId)).toHaveLength(0);
		expect((await ingest("/ingest/logs", unseen.key, LOG)).status).toBe(200);
	});

	it("Redis and Postgres both down: an unseen key gets 503, never 200 or 401", async () => {
		const unseen = await createKey();
		await withServiceStopped("redis", () =>
			withServiceStopped("postgres", async () => {
				expect((await ingest("/ingest/logs", unseen.key, LOG)).status).toBe(503);
			}),
		);
	});
});

describe("revocation and last use, on a controlled clock", () => {
	let clock = Date.now();
	const app = createApp({ createServices: createServices, now: () => clock });
	async function send(key: string) {
		const res = await callApp(app, "/ingest/logs", {
			method: "POST",
			headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
			body: JSON.stringify(LOG),
		});
		return res.status;
	}

	it("a revoked key stops within 60 s even when nobody evicts the caches, and at once when the CLI does", async () => {
		const a = await createKey();
		expect(await send(a.key)).toBe(200);
		await revokeKey(a.id, { evict: false });
		clock += 59_000;
		expect(await send(a.key)).toBe(200); // still inside the documented 60 s bound
		clock += 1_001;
		expect(await send(a.key)).toBe(401);

		const b = await createKey();
		expect(await send(b.key)).toBe(200);
		await revokeKey(b.id); // the CLI path: Redis entry evicted
		clock += 30_001; // past the isolate tier
		expect(await send(b.key)).toBe(401);
	});

	it("records last_used_at in the background, at most once a minute per key", async () => {
		const k = await createKey();
		const lastUsed = async () =>
			(
				await control<{ last_used_at: string | null }[]>("/sql", {
					query: "SELECT last_used_at FROM api_keys WHERE id = $1",
					params: [k.id],
				})
			)[0]?.last_used_at;
		expect(await lastUsed()).toBeNull();
		expect(await send(k.key)).toBe(200);
		const first = await lastUsed();
		expect(first).not.toBeNull();
		expect(await send(k.key)).toBe(200);
		expect(await lastUsed()).toBe(first);
	});
});

describe("identity comes from the key", () => {
	it("a key of project A never writes rows of project B, whatever the body says", async () => {
		const a = await createKey();
		const b = await createKey();
		const res = await ingest("/ingest/logs", a.key, {
			project_id: b.projectId,
			api_key_id: b.id,
			logs: [{ level: "info", message: "mine", project_id: b.projectId, api_key_id: b.id }],
		});
		expect(res.status).toBe(200);
		expect(await storedRows("logs", b.projectId)).toHaveLength(0);
		const rows = await storedRows("logs", a.projectId);
		expect(rows).toEqual([expect.objectContaining({ project_id: a.projectId, api_key_id: a.id, message: "mine" })]);
	});
});
