/**
 * The cost section's tables (Part 7 of `npm run bench`): the counts per request of bench/cost.ts, the CPU of
 * bench/cost-cpu.ts, and their price per 1M requests at bench/prices.ts's list prices, next to the floor's.
 */

import type { CostReport, Counts, KindReport } from "./cost.ts";
import type { CostCpu } from "./cost-cpu.ts";
import { INVOCATION_EVENT_BYTES, type Line, PRICES, type Price, perMillion, type Usage } from "./prices.ts";

const LINES: Record<Line, string> = {
	requests: "Workers requests",
	cpu: "Workers CPU",
	logs: "Workers Logs",
	upstash: "Upstash",
	r2: "R2",
};

type Grid = (string[] | { section: string })[];

function renderGrid(head: string[], rows: Grid): string {
	const cells = rows.filter((r): r is string[] => Array.isArray(r));
	const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
	const line = (vs: string[]) =>
		vs.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join("  ");
	const rule = "─".repeat(widths.reduce((a, b) => a + b + 2, -2));
	const out = [line(head), rule];
	for (const r of rows) out.push(Array.isArray(r) ? line(r) : r.section);
	out.push(rule);
	return out.join("\n");
}

const per = (c: Counts) => {
	const n = c.requests;
	return {
		upstashBilled: c.upstash.billed / n,
		upstashRest: c.upstash.commands / n,
		neon: c.neon.statements / n,
		inserts: c.clickhouse.inserts / n,
		kib: c.clickhouse.bytes / n / 1024,
		classA: (c.r2.put + c.r2.list) / n,
		classB: (c.r2.get + c.r2.head) / n,
		logLines: c.console.lines / n,
		logBytes: c.console.bytes / n,
	};
};

/** What Workers Logs ingests for a request: its console lines, and (with observability on) the invocation event. */
function usage(c: Counts, cpuMs: number, observability: boolean): Usage {
	const p = per(c);
	return {
		cpuMs,
		upstashCommands: p.upstashBilled,
		r2ClassA: p.classA,
		r2ClassB: p.classB,
		logEvents: observability ? p.logLines + 1 : 0,
		logBytes: observability ? p.logBytes + INVOCATION_EVENT_BYTES : 0,
	};
}

const f = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");
const usd = (v: number) => (Number.isFinite(v) ? `$${v < 0.1 ? v.toFixed(3) : v.toFixed(2)}` : "n/a");

function countRow(label: string, c: Counts, cpuMs: number | undefined): string[] {
	const p = per(c);
	return [
		label,
		cpuMs === undefined ? "—" : f(cpuMs, 3),
		`${f(p.upstashBilled)} (${f(p.upstashRest)})`,
		f(p.neon),
		f(p.inserts),
		f(p.kib, 1),
		`${f(p.classA)} / ${f(p.classB)}`,
		`${f(p.logLines)} / ${f(p.logBytes, 0)}`,
	];
}

export interface CostTables {
	text: string;
	notes: string[];
	/** The kind whose dominant line is reported in the README: per kind, the line that costs most. */
	dominant: Record<string, string>;
}

export function renderCost(report: CostReport, cpu: CostCpu[] | undefined): CostTables {
	const cpuOf = (k: KindReport) => cpu?.find((c) => c.kind === k.kind);
	const counted: Grid = [];
	const priced: Grid = [];
	const dominant: Record<string, string> = {};
	for (const k of report.kinds) {
		const c = cpuOf(k);
		const appMs = c ? c.appNs / 1e6 : Number.NaN;
		const floorMs = c ? c.floorNs / 1e6 : Number.NaN;
		counted.push(countRow(`${k.label} (${k.rowsPerRequest} row${k.rowsPerRequest > 1 ? "s" : ""})`, k.steady, appMs));
		counted.push(countRow("  floor", k.floor, floorMs));
		counted.push(countRow("  first request of a key new to the isolate", k.cold, undefined));
		const app = perMillion(usage(k.steady, appMs, true));
		const floor = perMillion(usage(k.floor, floorMs, false));
		const total = Object.values(app).reduce((a, b) => a + b, 0);
		const floorTotal = Object.values(floor).reduce((a, b) => a + b, 0);
		const top = (Object.entries(app) as [Line, number][]).sort((a, b) => b[1] - a[1])[0] as [Line, number];
		dominant[k.kind] = LINES[top[0]];
		priced.push([
			k.label,
			usd(app.requests),
			usd(app.cpu),
			usd(app.logs),
			usd(app.upstash),
			usd(app.r2),
			usd(total),
			usd(floorTotal),
			`${f(total / floorTotal)}×`,
			usd(total / k.rowsPerRequest),
			`${LINES[top[0]]} (${f((100 * top[1]) / total, 0)}%)`,
		]);
	}
	const { requests, warmup, concurrency, batch, rateLimit, flushMs } = report;
	const text = [
		`7. Cost per request, counted: wrangler dev on the local stack, every store behind a counting proxy. Steady state = the mean of ${requests} requests after ${warmup} of warm-up, ${concurrency} at a time, background work included; a key of limit ${rateLimit.toLocaleString("en")}/min (a rate-limit report every B = ${batch} admissions, or after T = ${flushMs} ms). Floor = a bare worker inserting the same rows straight into ClickHouse (bench/bare-insert.ts).`,
		renderGrid(
			[
				"kind (rows per request)",
				"CPU ms",
				"Upstash billed (REST)",
				"Neon stmts",
				"CH inserts",
				"CH KiB sent",
				"R2 A / B",
				"log lines / bytes",
			],
			counted,
		),
		"",
		"   At list price, USD per 1M requests (marginal: every free allowance used up); Neon and ClickHouse bill no query or insert (fixed, below).",
		renderGrid(
			[
				"kind",
				"Workers req",
				"CPU",
				"Logs",
				"Upstash",
				"R2",
				"total",
				"floor",
				"× floor",
				"per 1M events",
				"dominant line",
			],
			priced,
		),
	].join("\n");

	const fixedReal = PRICES.workersBase.usd + PRICES.neonLaunch.usd + PRICES.clickhouseBasic.usd;
	const fixedFloor = PRICES.workersBase.usd + PRICES.clickhouseBasic.usd;
	const notes = [
		`Cost, fixed a month whatever the volume: Workers Paid ${usd(PRICES.workersBase.usd)}, Neon ${usd(PRICES.neonLaunch.usd)} (0.25 CU always on, Launch: the key store; steady traffic never lets it suspend), ClickHouse Cloud ${usd(PRICES.clickhouseBasic.usd)} (Basic, 1 × 8 GiB always on; Scale ${usd(PRICES.clickhouseScale.usd)}): ${usd(fixedReal)} (floor: ${usd(fixedFloor)}, no Neon). ClickHouse's compute is the bill until the variable lines pass it:`,
	];
	for (const k of report.kinds) {
		const c = cpuOf(k);
		const app = perMillion(usage(k.steady, c ? c.appNs / 1e6 : Number.NaN, true));
		const total = Object.values(app).reduce((a, b) => a + b, 0);
		notes.push(
			`  ${k.label.padEnd(36)} variable = fixed at ${f(fixedReal / total, 0)}M requests a month (${f((fixedReal / total) * k.rowsPerRequest, 0)}M events)`,
		);
	}
	const up = report.upload;
	notes.push(
		"Cost, how it is counted: CPU ms = wall time per request in a local workerd isolate (bench/cost-cpu.ts, median of rounds; stores in memory, rows serialised as the ClickHouse client does; Workers bill CPU, and wall time in the isolate is the closest local proxy). Upstash billed = redis-server's INFO commandstats over the window (a script's redis.call counted, as Upstash bills EVALSHA: 1 + its calls; MULTI/EXEC and AUTH/INFO/CONFIG not); (REST) = commands in the HTTP requests the proxy saw. Neon = SQL statements the proxy saw. CH KiB = insert request bodies (ingress: free). R2 = the SOURCEMAPS binding's calls (bench/cost-worker.ts wraps it): A = put + list, B = get + head. Log lines / bytes = console lines the worker wrote per request; Workers Logs adds an invocation event per request, priced at an assumed 1,000 bytes (not published); the floor is priced without Workers Logs.",
		`Cost, what amortises: a rate-limit report (EVALSHA + GET + GET + INCRBY = 4 billed) every B = ${batch} admissions of a busy key (a key with fewer than B requests per T per isolate pays one per T instead); the last insert time (1 SET) at most every 5 s per isolate; a key's last_used_at (1 SET NX + 1 Neon UPDATE) once a minute per key and isolate; source-map lookups once a minute per project and isolate (the first request's R2 reads), decoded indexes kept 10 min. The first request of a key new to the isolate and to Redis's key cache pays the lookup (MGET, Neon SELECT, SET) once.`,
		`Cost, uploading source maps: a request with one map made ${up.r2.put} R2 puts (Class A: the map, its index, the file's pointer, and the project's marker once per request), $${f((up.r2.put * PRICES.r2ClassA.usd) / 1e6, 6)} at list price.`,
		`Cost, Workers Logs under the model in force until 2026-11-30 ($${PRICES.logsEventsOld.usd} per 1M events, an invocation log and each console line): $${f(2 * PRICES.logsEventsOld.usd)} per 1M requests instead of the $${f(perMillion(usage(report.kinds[0]?.steady ?? up, 0, true)).logs)} above.`,
		"Cost, prices (bench/prices.ts: USD list price before tax, marginal; [status], page, copy read):",
	);
	const bySource = new Map<string, Price[]>();
	for (const p of Object.values(PRICES) as Price[]) bySource.set(p.source, [...(bySource.get(p.source) ?? []), p]);
	for (const [source, prices] of bySource) {
		const items = prices.map(
			(p) =>
				`${p.usd > 0 ? `$${p.usd} per ${p.unit}` : p.unit}${p.included ? ` (${p.included} included)` : ""} [${p.status}]`,
		);
		notes.push(`  ${source} (${prices[0]?.read}): ${items.join("; ")}`);
	}
	return { text, notes, dominant };
}
