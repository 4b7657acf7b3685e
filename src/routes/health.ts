import { Hono } from "hono/tiny";
import type { AppEnv, Deps } from "../http/app-env.ts";
import { json } from "../http/respond.ts";
import { services } from "../http/services.ts";
import type { Services } from "../ports.ts";
import { TimeoutError, withTimeout } from "../util/timeout.ts";

const CHECK_TIMEOUT_MS = 2000;

type Dependency = "clickhouse" | "redis" | "postgres";
interface DependencyStatus {
	status: "ok" | "error";
	latency_ms: number;
	error?: string;
}

async function check(ping: () => Promise<void>, now: () => number): Promise<DependencyStatus> {
	const started = now();
	try {
		await withTimeout(ping(), CHECK_TIMEOUT_MS);
		return { status: "ok", latency_ms: now() - started };
	} catch (err) {
		// The error's class and a short reason only: messages from drivers can carry connection details.
		const reason = err instanceof TimeoutError ? "timeout" : "unreachable";
		return { status: "error", latency_ms: now() - started, error: reason };
	}
}

/** A spill entry older than this means replay is not keeping up (or ClickHouse is down): degraded. */
export const SPILL_STALE_AFTER_MS = 5 * 60_000;

interface SpillStatus {
	status: "ok" | "stale" | "unknown";
	depth: number | null;
	oldest_age_s: number | null;
	last_insert_at: string | null;
}

async function spillStatus(s: Services, now: number): Promise<SpillStatus> {
	try {
		const stats = await withTimeout(s.spill.stats(), CHECK_TIMEOUT_MS);
		const age = stats.oldestAt === null ? null : Math.max(0, now - stats.oldestAt);
		return {
			status: age !== null && age > SPILL_STALE_AFTER_MS ? "stale" : "ok",
			depth: stats.depth,
			oldest_age_s: age === null ? null : Math.round(age / 1000),
			last_insert_at: stats.lastInsertAt === null ? null : new Date(stats.lastInsertAt).toISOString(),
		};
	} catch {
		// Redis is down: the redis dependency already says so.
		return { status: "unknown", depth: null, oldest_age_s: null, last_insert_at: null };
	}
}

export function healthRoutes(deps: Deps) {
	const now = deps.now;
	const app = new Hono<AppEnv>();

	app.get("/", (c) => json(c, { status: "ok", timestamp: new Date(now()).toISOString() }));

	app.get("/ready", services(deps), async (c) => {
		const s: Services = c.get("services");
		const checks: Record<Dependency, () => Promise<void>> = {
			clickhouse: () => s.events.ping(),
			redis: () => s.keyCache.ping(),
			postgres: () => s.keys.ping(),
		};
		const names = Object.keys(checks) as Dependency[];
		const results = await Promise.all(names.map((n) => check(checks[n], now)));
		const dependencies = Object.fromEntries(names.map((n, i) => [n, results[i]])) as Record<
			Dependency,
			DependencyStatus
		>;
		const spill = await spillStatus(s, now());
		const failing: string[] = names.filter((n) => dependencies[n].status !== "ok");
		if (spill.status === "stale") failing.push("spill");
		const ready = failing.length === 0;
		c.get("event").outcome = ready ? "ready" : `not_ready:${failing.join(",")}`;
		return json(
			c,
			{ status: ready ? "ok" : "degraded", timestamp: new Date(now()).toISOString(), dependencies, spill },
			ready ? 200 : 503,
		);
	});
	return app;
}
