import { decodeUtf8 } from "../util/utf8.ts";
import { Clips } from "./clip.ts";
import { forEachDrainEntry } from "./drain-parse.ts";
import { LIMITS } from "./limits.ts";
import { noRejections, type Rejections, reject } from "./rejections.ts";
import { clickhouseTime, type LogRow, type Provenance } from "./rows.ts";
import { ANALYTICS, SPEED_INSIGHTS, webEventRow, webVitalRow } from "./vercel-web.ts";

// Vercel drain entries → rows (docs/api/CONTRACT.md, Vercel log drain; round 3, Vercel Drains): an entry without a
// `schema` is a log entry (a log row), a Speed Insights entry a web_vitals row, a Web Analytics entry a web_events row
// (src/ingest/vercel-web.ts); an entry of any other schema is refused (counted), never stored as a log.

const LEVELS: Record<string, LogRow["level"]> = {
	debug: "debug",
	info: "info",
	warning: "warn",
	warn: "warn",
	error: "error",
	fatal: "error",
};

/** Fields that become columns; every other field of the entry is kept in metadata. */
const MAPPED = new Set([
	"message",
	"timestamp",
	"level",
	"source",
	"environment",
	"deploymentId",
	"requestId",
	"traceId",
	"spanId",
	"trace.id",
	"span.id",
]);

/** Vercel truncates messages above 256 KB; a little room for its own marker before ours clips. */
const MAX_MESSAGE = LIMITS.logMessage + 1024;

export type DrainEntryResult = { ok: true; row: LogRow } | { ok: false; reason: string };

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const field = (v: unknown, key: string): unknown =>
	v !== null && typeof v === "object" && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
const nested = (v: unknown, key: string): string | undefined => str(field(v, key));
/** -1 (the function crashed) or a 5xx. */
const failed = (status: unknown) => typeof status === "number" && (status === -1 || status >= 500);

/**
 * One entry's row, or why the entry is refused: only for what makes it no log entry (not an object, no numeric
 * time, a message or level of the wrong kind). Everything past a bound is clipped and listed in `truncated`.
 */
export function drainEntryToRow(
	entry: unknown,
	p: Provenance,
	receivedAt: string,
	c = new Clips(),
	shared: (s: string) => string = (s) => s,
): DrainEntryResult {
	if (entry === null || typeof entry !== "object" || Array.isArray(entry))
		return { ok: false, reason: "not_an_object" };
	const e = entry as Record<string, unknown>;
	const timestamp = e.timestamp;
	if (typeof timestamp !== "number" || !Number.isFinite(timestamp)) return { ok: false, reason: "invalid_timestamp" };
	if (e.message !== undefined && typeof e.message !== "string") return { ok: false, reason: "invalid_message" };

	const rawLevel = str(e.level)?.toLowerCase();
	if (e.level !== undefined && (rawLevel === undefined || !(rawLevel in LEVELS)))
		return { ok: false, reason: "invalid_level" };
	let level: LogRow["level"] = rawLevel ? (LEVELS[rawLevel] as LogRow["level"]) : "info";
	if (failed(e.statusCode) || failed(field(e.proxy, "statusCode"))) level = "error";

	const metadata: Record<string, unknown> = {};
	// for-in over a parsed object (own keys only, in order) makes no array of its keys.
	for (const key in e) {
		if (MAPPED.has(key)) continue;
		// An own "__proto__" (JSON.parse makes one) is data: assigned, it would set the prototype and vanish.
		if (key === "__proto__") Object.defineProperty(metadata, key, { value: e[key], enumerable: true, writable: true });
		else metadata[key] = e[key];
	}

	return {
		ok: true,
		row: {
			project_id: p.projectId,
			api_key_id: p.apiKeyId,
			received_at: receivedAt,
			timestamp: clickhouseTime(c.time(timestamp, "timestamp")),
			service: shared(c.text(str(e.projectName) ?? str(e.projectId) ?? "vercel", LIMITS.name, "service")),
			environment: shared(c.text(str(e.environment) ?? "production", LIMITS.name, "environment")),
			release: shared(c.text(str(e.deploymentId), LIMITS.release, "release")),
			level,
			message: c.text(e.message as string | undefined, MAX_MESSAGE, "message"),
			metadata: c.object(metadata, "metadata"),
			trace_id: c.text(str(e.traceId) ?? str(e["trace.id"]) ?? nested(e.trace, "id"), LIMITS.id, "trace_id"),
			span_id: c.text(str(e.spanId) ?? str(e["span.id"]) ?? nested(e.span, "id"), LIMITS.id, "span_id"),
			request_id: c.text(str(e.requestId), LIMITS.id, "request_id"),
			context: shared(c.text(str(e.source), LIMITS.name, "context")),
			vercel_id: "",
			truncated: c.take(),
			sdk: p.sdk,
		},
	};
}

/**
 * One copy of each of the values a batch's rows repeat (its project, deployment, environment, source): JSON.parse
 * gives every entry its own copy of a string over 10 characters, and a 5 MB batch's 10,000 rows kept them all.
 * Bounded: short strings only, and a few hundred of them.
 */
function sharedStrings(): (s: string) => string {
	const seen = new Map<string, string>();
	return (s) => {
		if (s.length > 64) return s;
		const known = seen.get(s);
		if (known !== undefined) return known;
		if (seen.size < 256) seen.set(s, s);
		return s;
	};
}

/**
 * The entries of a drain body: a JSON array, NDJSON (one object per line), or a single object.
 * `null` when the body is neither.
 */
export function parseDrainBody(text: string, ndjson: boolean): unknown[] | null {
	const trimmed = text.trim();
	if (trimmed === "") return [];
	if (!ndjson || trimmed.startsWith("[")) {
		try {
			const value: unknown = JSON.parse(trimmed);
			if (Array.isArray(value)) return value;
			if (value !== null && typeof value === "object") return Object.keys(value).length === 0 ? [] : [value];
			return null;
		} catch {
			// Not one JSON document: NDJSON by sniffing, when several lines are there.
			if (!trimmed.includes("\n")) return null;
		}
	}
	const entries: unknown[] = [];
	for (const line of trimmed.split("\n")) {
		const l = line.trim();
		if (l === "") continue;
		try {
			entries.push(JSON.parse(l));
		} catch {
			entries.push(undefined); // counted as rejected, the rest of the batch still lands
		}
	}
	return entries;
}

export type DrainRows =
	| {
			ok: true;
			logs: LogRow[];
			webVitals: object[];
			webEvents: object[];
			/** Entries in the body, valid or not. */
			count: number;
			/** Refused entries by reason. */
			rejected: Rejections;
			/** Field paths clipped, over all rows. */
			truncated: number;
	  }
	| { ok: false; failure: "not_utf8" | "malformed_json" };

/**
 * A drain body's rows: entries read one at a time from the bytes (src/ingest/drain-parse.ts) when the body is a
 * regular JSON array or NDJSON, else from the whole text; an invalid entry is counted, never sinks the batch.
 */
export function drainRows(bytes: Uint8Array, ndjson: boolean, p: Provenance): DrainRows {
	const receivedAt = clickhouseTime(p.receivedAt);
	const shared = sharedStrings();
	const fresh = () => ({ logs: [] as LogRow[], webVitals: [] as object[], webEvents: [] as object[] });
	let out = fresh();
	let rejected = noRejections();
	let clips = new Clips();
	const add = (entry: unknown) => {
		const schema = field(entry, "schema");
		let result: { ok: true; row: object } | { ok: false; reason: string };
		if (schema === undefined) {
			result = drainEntryToRow(entry, p, receivedAt, clips, shared);
			if (result.ok) out.logs.push(result.row as LogRow);
		} else if (schema === SPEED_INSIGHTS) {
			result = webVitalRow(entry as Record<string, unknown>, p, receivedAt, clips);
			if (result.ok) out.webVitals.push(result.row);
		} else if (typeof schema === "string" && ANALYTICS.has(schema)) {
			result = webEventRow(entry as Record<string, unknown>, p, receivedAt, clips);
			if (result.ok) out.webEvents.push(result.row);
		} else result = { ok: false, reason: "unknown_schema" };
		if (!result.ok) reject(rejected, result.reason);
	};
	const count = forEachDrainEntry(bytes, ndjson, add);
	if (count !== null) return { ok: true, ...out, count, rejected, truncated: clips.total };
	// Not a regular array or NDJSON: the whole text.
	out = fresh();
	rejected = noRejections();
	clips = new Clips();
	const text = decodeUtf8(bytes);
	if (text === null) return { ok: false, failure: "not_utf8" };
	const entries = parseDrainBody(text, ndjson);
	if (entries === null) return { ok: false, failure: "malformed_json" };
	for (const entry of entries) add(entry);
	return { ok: true, ...out, count: entries.length, rejected, truncated: clips.total };
}
