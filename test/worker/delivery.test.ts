import { env } from "cloudflare:test";
import { Redis } from "@upstash/redis/cloudflare";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { deliver } from "../../src/delivery/deliver.ts";
import type { DeliveryOptions } from "../../src/delivery/policy.ts";
import { DEFAULT_REPLAY, type ReplayOptions, replaySpill } from "../../src/delivery/replay.ts";
import type { Services } from "../../src/ports.ts";
import { createServices } from "../../src/services/index.ts";
import { SPILL_PART_CHARS } from "../../src/services/spill.ts";
import { call, callApp, control, createKey, storedRows, type TestKey, withServiceStopped } from "./helpers.ts";

// Fault injection on the real engines: rows acknowledged = rows stored, no duplicates, losses counted.

const FAST: DeliveryOptions = { budgetMs: 300, maxAttemptMs: 250, baseBackoffMs: 20, maxBackoffMs: 80 };
const app = createApp({ createServices: createServices, delivery: FAST });

function services(): Services {
	const loaded = loadConfig(env);
	if (!loaded.ok) throw new Error(loaded.problems.join(", "));
	return createServices(loaded.config);
}

async function send(key: string, body: unknown, headers: Record<string, string> = {}, query = "") {
	const res = await callApp(app, `/ingest/logs${query}`, {
		method: "POST",
		headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
		body: JSON.stringify(body),
	});
	return res;
}

/**
 * The replay's own timings are production's (5 s an insert, 20 s a run), made for ClickHouse Cloud. The local
 * ClickHouse runs in one process with one queue, and on a loaded machine a burst of replayed inserts can wait there
 * longer than 5 s: the test is about what is stored, so its replays may take their time.
 */
const PATIENT_REPLAY: ReplayOptions = { ...DEFAULT_REPLAY, attemptTimeoutMs: 60_000, deadlineMs: 60_000 };

/** Replays until the spill is empty (or stops shrinking). */
async function drainSpill(): Promise<number> {
	let rows = 0;
	for (let i = 0; i < 100; i++) {
		const report = await replaySpill(services(), PATIENT_REPLAY);
		rows += report.rows;
		if (report.remaining === 0) return rows;
		if (report.chunks === 0 && report.quarantined === 0) throw new Error(`replay stalled: ${JSON.stringify(report)}`);
	}
	throw new Error("spill did not drain");
}

const logs = (prefix: string, n: number) => ({
	logs: Array.from({ length: n }, (_, i) => ({ level: "info", message: `${prefix}-${i}` })),
});

function expectNoDuplicates(rows: Record<string, unknown>[]) {
	const messages = rows.map((r) => r.message);
	expect(new Set(messages).size).toBe(messages.length);
}

afterEach(async () => {
	await control("/services/clickhouse/slow-inserts", { ms: 0 });
	vi.restoreAllMocks();
});

describe("ClickHouse outage under sustained load", () => {
	it("stores exactly the rows acknowledged, once each, after the spill is replayed", async () => {
		const k = await createKey();
		await drainSpill();
		const total = 1000;
		const concurrency = 50;
		const perRequest = 3;
		let acknowledged = 0;
		let refused = 0;
		let spilledDuringOutage = 0;
		for (let wave = 0; wave < total / concurrency; wave++) {
			if (wave === 5) await control("/services/clickhouse/stop");
			if (wave === 15) {
				spilledDuringOutage = (await services().spill.stats()).depth;
				await control("/services/clickhouse/start");
			}
			const statuses = await Promise.all(
				Array.from({ length: concurrency }, (_, i) =>
					send(k.key, logs(`w${wave}r${i}`, perRequest)).then((r) => r.status),
				),
			);
			for (const s of statuses) {
				if (s === 200) acknowledged += perRequest;
				else refused++;
			}
		}
		expect(refused).toBe(0);
		expect(spilledDuringOutage).toBeGreaterThan(0);
		const replayed = await drainSpill();
		expect(replayed).toBeGreaterThanOrEqual(spilledDuringOutage * perRequest);
		const rows = await storedRows("logs", k.projectId);
		console.info(
			JSON.stringify({
				requests: total,
				acknowledged,
				stored: rows.length,
				replayed,
				duplicates: rows.length - new Set(rows.map((r) => r.message)).size,
			}),
		);
		expect(rows.length).toBe(acknowledged);
		expectNoDuplicates(rows);
	}, 240_000);
});

describe("ClickHouse slower than the budget", () => {
	it("spills the rows (which ClickHouse kept anyway), and the replay adds no second copy", async () => {
		const k = await createKey();
		await drainSpill();
		await control("/services/clickhouse/slow-inserts", { ms: 600 });
		const res = await send(k.key, logs("slow", 5));
		expect(res.status).toBe(200);
		await control("/services/clickhouse/slow-inserts", { ms: 0 });
		const stats = await services().spill.stats();
		expect(stats.depth).toBe(1);
		// The server completed the timed-out attempts: the rows are there once already.
		expect(await storedRows("logs", k.projectId)).toHaveLength(5);
		expect(await drainSpill()).toBe(5);
		const rows = await storedRows("logs", k.projectId);
		expect(rows).toHaveLength(5);
		expectNoDuplicates(rows);
	});
});

describe("deduplication", () => {
	it("the same chunk replayed twice stores one copy", async () => {
		const k = await createKey();
		await drainSpill();
		const s = services();
		const row = {
			project_id: k.projectId,
			api_key_id: k.id,
			received_at: "2026-11-26 08:00:00.000",
			timestamp: "2026-11-26 08:00:00.000",
			level: "info",
			message: "replayed",
		};
		const chunk = {
			table: "logs" as const,
			token: `test-${crypto.randomUUID()}`,
			rows: [row],
			requestId: "r",
			spilledAt: Date.now(),
		};
		await s.spill.put({ ...chunk, id: "a" });
		await drainSpill();
		await s.spill.put({ ...chunk, id: "b" });
		await drainSpill();
		expect(await storedRows("logs", k.projectId)).toHaveLength(1);
	});

	it("the same Idempotency-Key, project and body store once; the response echoes the key", async () => {
		const k = await createKey();
		const body = logs("idem", 4);
		for (let i = 0; i < 3; i++) {
			const res = await send(k.key, body, { "idempotency-key": "req-7f3a" });
			expect(res.status).toBe(200);
			expect(res.headers.get("idempotency-key")).toBe("req-7f3a");
		}
		expect(await storedRows("logs", k.projectId)).toHaveLength(4);
		// Another body under the same key is another request.
		await send(k.key, logs("other", 2), { "idempotency-key": "req-7f3a" });
		expect(await storedRows("logs", k.projectId)).toHaveLength(6);
		const bad = await send(k.key, body, { "idempotency-key": "has space" });
		expect(bad.status).toBe(400);
	});

	it("the same key in another project is not deduplicated against the first", async () => {
		const a = await createKey();
		const b = await createKey();
		await send(a.key, logs("x", 1), { "idempotency-key": "shared" });
		await send(b.key, logs("x", 1), { "idempotency-key": "shared" });
		expect(await storedRows("logs", a.projectId)).toHaveLength(1);
		expect(await storedRows("logs", b.projectId)).toHaveLength(1);
	});
});

describe("large chunks in the spill", () => {
	it("a megabytes-large chunk is stored in parts no larger than one Upstash request allows, and replays whole", async () => {
		const k = await createKey();
		await drainSpill();
		const rows = Array.from({ length: 1000 }, (_, i) => ({
			project_id: k.projectId,
			api_key_id: k.id,
			received_at: "2026-11-26 08:00:00.000",
			timestamp: "2026-11-26 08:00:00.000",
			level: "info",
			message: `${i}:${"x".repeat(2048)}`,
		}));
		const id = `big-${crypto.randomUUID()}`;
		await services().spill.put({ id, table: "logs", token: `t-${id}`, rows, requestId: "r", spilledAt: Date.now() });
		const redis = new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN });
		const parts = Math.ceil(JSON.stringify(rows).length / SPILL_PART_CHARS);
		expect(parts).toBeGreaterThan(10);
		for (let i = 0; i < parts; i++)
			expect(await redis.strlen(`dt:spill:${id}:${i}`)).toBeLessThanOrEqual(SPILL_PART_CHARS);
		expect(await drainSpill()).toBe(1000);
		expect(await storedRows("logs", k.projectId)).toHaveLength(1000);
		expect(await redis.exists(`dt:spill:${id}`, `dt:spill:${id}:0`)).toBe(0);
	});
});

describe("?wait=true", () => {
	it("answers after ClickHouse confirmed, after the spill took the rows, or 503 when neither could", async () => {
		const k = await createKey();
		await drainSpill();
		expect((await send(k.key, logs("w1", 1), {}, "?wait=true")).status).toBe(200);
		await withServiceStopped("clickhouse", async () => {
			expect((await send(k.key, logs("w2", 1), {}, "?wait=true")).status).toBe(200);
			expect((await services().spill.stats()).depth).toBe(1);
			const errors = vi.spyOn(console, "error");
			await withServiceStopped("redis", async () => {
				const res = await send(k.key, logs("w3", 2), {}, "?wait=true");
				expect(res.status).toBe(503);
				expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
			});
			const lost = errors.mock.calls.map((c) => JSON.parse(String(c[0]))).filter((l) => l.outcome === "lost");
			expect(lost).toEqual([expect.objectContaining({ table: "logs", rows: 2, by_outcome: { lost: 2 } })]);
		});
		await drainSpill();
		expect((await storedRows("logs", k.projectId)).map((r) => r.message).sort()).toEqual(["w1-0", "w2-0"]);
	});
});

describe("the only loss path: ClickHouse and Redis both unreachable", () => {
	it("is logged loudly with counts, outcome lost, and quantified", async () => {
		const k = await createKey();
		await send(k.key, logs("warm", 1)); // key cached in the isolate, so auth does not need Redis
		const errors = vi.spyOn(console, "error");
		let acknowledged = 0;
		await withServiceStopped("clickhouse", () =>
			withServiceStopped("redis", async () => {
				for (let i = 0; i < 10; i++) if ((await send(k.key, logs(`lost${i}`, 3))).status === 200) acknowledged += 3;
			}),
		);
		const lostRows = errors.mock.calls
			.map((c) => JSON.parse(String(c[0])))
			.filter((l) => l.outcome === "lost")
			.reduce((n, l) => n + l.rows, 0);
		console.info(JSON.stringify({ scenario: "clickhouse+redis down", acknowledged, lost: lostRows }));
		expect(lostRows).toBe(acknowledged);
		expect(acknowledged).toBe(30);
	});
});

describe("a bad row never blocks the others", () => {
	it("splits a chunk ClickHouse refuses for its content: good rows stored, the bad one rejected", async () => {
		const k = await createKey();
		const row = (message: string, projectId = k.projectId) => ({
			project_id: projectId,
			api_key_id: k.id,
			received_at: "2026-11-26 08:00:00.000",
			timestamp: "2026-11-26 08:00:00.000",
			level: "info",
			message,
		});
		const rows = [row("g1"), row("g2"), row("bad", "not-a-uuid"), row("g3"), row("g4")];
		// About splitting, not timing: attempts may take as long as a loaded machine needs.
		const patient: DeliveryOptions = { ...FAST, budgetMs: 30_000, maxAttemptMs: 20_000 };
		const report = await deliver(
			{ table: "logs", rows, token: `t-${crypto.randomUUID()}`, requestId: "r" },
			services(),
			patient,
		);
		expect(report.outcome).toBe("rejected");
		expect(report.byOutcome).toEqual({ stored: 4, rejected: 1 });
		expect((await storedRows("logs", k.projectId)).map((r) => r.message).sort()).toEqual(["g1", "g2", "g3", "g4"]);
	});
});

describe("/health/ready reports the spill", () => {
	it("shows depth, oldest age and last insert; an old spill is degraded until replayed", async () => {
		await drainSpill();
		const k: TestKey = await createKey();
		await send(k.key, logs("h", 1));
		const ok = (await (await call("/health/ready")).json()) as { spill: Record<string, unknown> };
		expect(ok.spill).toMatchObject({ status: "ok", depth: 0, oldest_age_s: null });
		expect(typeof ok.spill.last_insert_at).toBe("string");

		const row = { project_id: k.projectId, api_key_id: k.id, received_at: "2026-11-26 08:00:00.000", message: "old" };
		await services().spill.put({
			id: "old",
			table: "logs",
			token: `old-${crypto.randomUUID()}`,
			rows: [row],
			requestId: "r",
			spilledAt: Date.now() - 10 * 60_000,
		});
		const res = await call("/health/ready");
		expect(res.status).toBe(503);
		const body = (await res.json()) as { spill: Record<string, unknown> };
		expect(body.spill).toMatchObject({ status: "stale", depth: 1 });
		expect(body.spill.oldest_age_s).toBeGreaterThanOrEqual(600);
		await drainSpill();
		expect((await call("/health/ready")).status).toBe(200);
	});
});
