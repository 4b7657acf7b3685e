import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.ts";
import worker from "../../src/index.ts";
import type { Services } from "../../src/ports.ts";
import { createServices } from "../../src/services/index.ts";
import { createKey, storedRows, type TestKey } from "./helpers.ts";

// The cron handler (wrangler.toml [triggers]) driven as the runtime drives it, as workers-sdk's scheduled fixtures
// do: a controller, an execution context, and its background work awaited before asserting.

function services(): Services {
	const loaded = loadConfig(env);
	if (!loaded.ok) throw new Error(loaded.problems.join(", "));
	return createServices(loaded.config);
}

async function cron(bindings: Env = env): Promise<void> {
	const controller = createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" });
	const ctx = createExecutionContext();
	await worker.scheduled(controller, bindings, ctx);
	await waitOnExecutionContext(ctx);
}

/** Puts `n` log rows of the key's project in the spill, as a delivery that could not reach ClickHouse does. */
async function spill(k: TestKey, prefix: string, n: number): Promise<string> {
	const id = `${prefix}-${crypto.randomUUID()}`;
	const rows = Array.from({ length: n }, (_, i) => ({
		project_id: k.projectId,
		api_key_id: k.id,
		received_at: "2026-11-26 08:00:00.000",
		timestamp: "2026-11-26 08:00:00.000",
		level: "info",
		message: `${prefix}-${i}`,
	}));
	await services().spill.put({ id, table: "logs", token: `t-${id}`, rows, requestId: "r", spilledAt: Date.now() });
	return id;
}

const spilled = async (id: string) => (await services().spill.oldest(10_000)).some((c) => c.id === id);
const lines = (calls: unknown[][]) => calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>);

afterEach(() => {
	vi.restoreAllMocks();
});

describe("scheduled: the spill replayed by the cron", () => {
	it("moves a spilled chunk into ClickHouse, removes it from the spill and logs the replay", async () => {
		const k = await createKey();
		const id = await spill(k, "cron", 3);
		expect(await spilled(id)).toBe(true);
		const log = vi.spyOn(console, "log");
		await cron();
		expect((await storedRows("logs", k.projectId)).map((r) => r.message).sort()).toEqual([
			"cron-0",
			"cron-1",
			"cron-2",
		]);
		expect(await spilled(id)).toBe(false);
		const replay = lines(log.mock.calls).filter((l) => l.route === "scheduled:replay");
		expect(replay).toEqual([expect.objectContaining({ outcome: "replayed" })]);
		expect(replay[0]?.chunks).toBeGreaterThanOrEqual(1);
		expect(replay[0]?.rows).toBeGreaterThanOrEqual(3);
	});

	it("misconfigured: logs which settings are wrong, names only, and replays nothing", async () => {
		const k = await createKey();
		const id = await spill(k, "misconfigured", 1);
		const errors = vi.spyOn(console, "error");
		await cron({ ...env, DATABASE_URL: "", CLICKHOUSE_URL: "not a url" });
		expect(lines(errors.mock.calls)).toEqual([
			{ outcome: "misconfigured", problems: ["DATABASE_URL: missing", "CLICKHOUSE_URL: malformed"] },
		]);
		expect(await spilled(id)).toBe(true);
		expect(await storedRows("logs", k.projectId)).toEqual([]);
		await cron();
		expect(await spilled(id)).toBe(false);
	});
});
