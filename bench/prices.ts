/**
 * List prices the cost section multiplies its counts by: USD before tax, marginal (past every free allowance), each
 * with the page it comes from and the date of the copy read. Compiled 2026-12-03 from stored copies of the providers'
 * pages (scratch notes: /work/scratch/costs/prices.md); no live page was fetched. `status`: confirmed (read on the
 * provider's own page or docs source), derived (worked out from the provider's own worked examples), inferred (not
 * stated anywhere found: a reading). Change a price here and the next `npm run bench` prices with it.
 */

export interface Price {
	usd: number;
	unit: string;
	/** What the month includes before this price applies. */
	included?: string;
	status: "confirmed" | "derived" | "inferred";
	source: string;
	/** The copy read and its date (the page's own date when it shows one). */
	read: string;
}

const WORKERS = {
	source: "https://developers.cloudflare.com/workers/platform/pricing/",
	read: "cloudflare-docs workers/platform/pricing.mdx @07acbb66 (undated), read 2026-12-03",
};
const R2 = {
	source: "https://developers.cloudflare.com/r2/pricing/",
	read: "cloudflare-docs r2/pricing.mdx @07ec87d4 (undated), read 2026-12-03",
};
const UPSTASH = {
	source: "https://upstash.com/pricing/redis",
	read: "upstash/docs redis/overall/pricing.mdx @f3570c38 (undated); pricing page capture of 2026-11-09",
};
const NEON = {
	source: "https://neon.com/pricing",
	read: "neondatabase/website docs/introduction/plans.md, updatedOn 2026-03-20 (rates unchanged 2026-11-12)",
};
const CLICKHOUSE = {
	source: "https://clickhouse.com/pricing",
	read: "clickhouse-docs cloud billing overview @d5d0ab5f (undated, AWS us-east-1 examples); pricing page not read",
};

export const PRICES = {
	workersRequests: { usd: 0.3, unit: "1M requests", included: "10M", status: "confirmed", ...WORKERS },
	workersCpu: { usd: 0.02, unit: "1M CPU-ms", included: "30M CPU-ms", status: "confirmed", ...WORKERS },
	workersBase: { usd: 5, unit: "month (Workers Paid)", status: "confirmed", ...WORKERS },
	/** Workers Logs since 2026-12-01: ingested bytes, not events. */
	logsIngest: {
		usd: 0.25,
		unit: "GB ingested (before compression)",
		included: "50 GB",
		status: "confirmed",
		source: "https://developers.cloudflare.com/observability/pricing/",
		read: "cloudflare-docs observability/pricing/index.mdx @0ec9be22, in force from 2026-12-01",
	},
	/** Workers Logs until 2026-11-30, for comparison: per event (an invocation log plus each console line). */
	logsEventsOld: {
		usd: 0.6,
		unit: "1M log events (until 2026-11-30)",
		included: "20M",
		status: "confirmed",
		source: "https://developers.cloudflare.com/workers/observability/logs/workers-logs/",
		read: "cloudflare-docs partials/workers/workers_logs_pricing.mdx @0ec9be22; page last updated 2026-10-02",
	},
	/** The invocation log Workers Logs writes per request besides the console lines: its size is not published. */
	logsInvocationBytes: {
		usd: 0,
		unit: "1,000 bytes per invocation event (an assumption; see the dashboard's Billable Usage)",
		status: "inferred",
		source: "https://developers.cloudflare.com/observability/pricing/",
		read: "not stated on the page; the size assumed in the scratch notes of 2026-12-03",
	},
	r2ClassA: { usd: 4.5, unit: "1M Class A ops (put, list)", included: "1M", status: "confirmed", ...R2 },
	r2ClassB: { usd: 0.36, unit: "1M Class B ops (get, head)", included: "10M", status: "confirmed", ...R2 },
	upstashCommands: { usd: 2, unit: "1M commands (pay as you go)", status: "confirmed", ...UPSTASH },
	/** How Upstash counts: EVAL/EVALSHA as 1 + each redis.call (confirmed on its ratelimit costs page); a pipeline or
	 * MULTI/EXEC as its commands (inferred: no statement found that it counts as 1). */
	upstashCounting: {
		usd: 0,
		unit: "EVALSHA = 1 + its redis.calls; pipeline = its commands; AUTH/PING/INFO… free",
		status: "inferred",
		source: "https://upstash.com/docs/redis/sdks/ratelimit-ts/costs",
		read: "upstash/docs redis/sdks/ratelimit-ts/costs.mdx (scripts confirmed; pipelines inferred), read 2026-12-03",
	},
	neonLaunch: {
		usd: 19.35,
		unit: "month: 0.25 CU always on at $0.106/CU-hour (Launch); no per-query fee",
		status: "confirmed",
		...NEON,
	},
	clickhouseBasic: {
		usd: 159.66,
		unit: "month: 1 × 8 GiB always on (Basic, ≈ $0.2181/unit-hour); no per-insert fee, ingress free",
		status: "derived",
		...CLICKHOUSE,
	},
	clickhouseScale: {
		usd: 436.95,
		unit: "month: 2 × 8 GiB always on (Scale, ≈ $0.2985/unit-hour)",
		status: "derived",
		...CLICKHOUSE,
	},
} satisfies Record<string, Price>;

/** What one request of a kind uses, as the cost section measured it (means per request). */
export interface Usage {
	cpuMs: number;
	upstashCommands: number;
	r2ClassA: number;
	r2ClassB: number;
	logEvents: number;
	logBytes: number;
}

export type Line = "requests" | "cpu" | "logs" | "upstash" | "r2";

/** USD per 1M requests of the variable lines (Neon and ClickHouse bill no request, insert or query: fixed, below). */
export function perMillion(u: Usage): Record<Line, number> {
	return {
		requests: PRICES.workersRequests.usd,
		cpu: u.cpuMs * PRICES.workersCpu.usd,
		// GB taken as 10^9 bytes: 1M requests × bytes per request / 10^9.
		logs: (u.logBytes / 1e3) * PRICES.logsIngest.usd,
		upstash: u.upstashCommands * PRICES.upstashCommands.usd,
		r2: u.r2ClassA * PRICES.r2ClassA.usd + u.r2ClassB * PRICES.r2ClassB.usd,
	};
}

/** The bytes Workers Logs ingests for a request: its console lines and the invocation event (size assumed). */
export const INVOCATION_EVENT_BYTES = 1_000;
