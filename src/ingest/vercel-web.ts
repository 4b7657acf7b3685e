import type { Clips } from "./clip.ts";
import { LIMITS } from "./limits.ts";
import { clickhouseTime, type Provenance } from "./rows.ts";

// Vercel Speed Insights (schema "vercel.speed_insights.v1") and Web Analytics ("vercel.analytics.v1" / ".v2") drain
// entries → web_vitals and web_events rows (docs/design/real-senders.md; the fields as Vercel's drain reference pages
// list them). Their own tables, never log rows. Every field the reference lists becomes a column; the rest of an
// entry is kept in metadata. Strings are clipped and listed in `truncated` like every row's.

export const SPEED_INSIGHTS = "vercel.speed_insights.v1";
export const ANALYTICS = new Set(["vercel.analytics.v1", "vercel.analytics.v2"]);

export type WebEntryResult<R> = { ok: true; row: R } | { ok: false; reason: string };

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** A string, or a number as Vercel sends session and device ids (kept as text: every digit as sent). */
const idText = (v: unknown): string => (typeof v === "number" && Number.isFinite(v) ? String(v) : (str(v) ?? ""));

/** Each column from the field of the entry it is read from, and its bound. */
type Columns = Record<string, [field: string, max: number]>;

const URL = 2048;
const SHARED: Columns = {
	path: ["path", URL],
	route: ["route", URL],
	origin: ["origin", URL],
	environment: ["vercelEnvironment", LIMITS.name],
	vercel_url: ["vercelUrl", URL],
	vercel_project_id: ["projectId", LIMITS.id],
	owner_id: ["ownerId", LIMITS.id],
	country: ["country", LIMITS.name],
	region: ["region", LIMITS.name],
	city: ["city", LIMITS.name],
	os_name: ["osName", LIMITS.name],
	os_version: ["osVersion", LIMITS.name],
	client_name: ["clientName", LIMITS.name],
	client_type: ["clientType", LIMITS.name],
	client_version: ["clientVersion", LIMITS.name],
	device_type: ["deviceType", LIMITS.name],
	device_brand: ["deviceBrand", LIMITS.name],
	browser_engine: ["browserEngine", LIMITS.name],
	browser_engine_version: ["browserEngineVersion", LIMITS.name],
	sdk_name: ["sdkName", LIMITS.name],
	sdk_version: ["sdkVersion", LIMITS.name],
};
const VITALS: Columns = {
	...SHARED,
	metric: ["metricType", LIMITS.name],
	connection_speed: ["connectionSpeed", LIMITS.name],
	script_version: ["scriptVersion", LIMITS.name],
	attribution: ["attribution", LIMITS.objectBytes],
};
const EVENTS: Columns = {
	...SHARED,
	event_type: ["eventType", LIMITS.name],
	event_name: ["eventName", LIMITS.name],
	referrer: ["referrer", URL],
	query_params: ["queryParams", URL],
	device_model: ["deviceModel", LIMITS.name],
	sdk_version_full: ["sdkVersionFull", LIMITS.name],
};
/** Fields read into columns other than by the tables above (or not kept: the schema is the table). */
const SPECIAL = new Set([
	"schema",
	"timestamp",
	"value",
	"deploymentId",
	"deployment",
	"deviceId",
	"sessionId",
	"eventData",
	"flags",
]);

function columns(e: Record<string, unknown>, spec: Columns, c: Clips): Record<string, string> {
	const out: Record<string, string> = {};
	for (const column in spec) {
		const [from, max] = spec[column] as [string, number];
		out[column] = c.text(str(e[from]) ?? (column === "environment" ? "production" : ""), max, column);
	}
	return out;
}

/** What no column holds, as the row's metadata (an own "__proto__" stays data). */
function rest(e: Record<string, unknown>, spec: Columns, c: Clips): string {
	const mapped = new Set([...SPECIAL, ...Object.values(spec).map(([from]) => from)]);
	const metadata: Record<string, unknown> = Object.create(null);
	for (const key of Object.keys(e)) if (!mapped.has(key)) metadata[key] = e[key];
	return c.object(metadata, "metadata");
}

/** A JSON payload Vercel sends as a string (eventData, flags), kept as its text; an object, as its JSON. */
function jsonText(v: unknown, c: Clips, path: string): string {
	if (v === undefined || v === null) return "";
	const text = typeof v === "string" ? v : JSON.stringify(v);
	return c.text(text, LIMITS.objectBytes, path);
}

function identity(p: Provenance, receivedAt: string) {
	return { project_id: p.projectId, api_key_id: p.apiKeyId, received_at: receivedAt };
}

/** A Speed Insights entry: a Web Vitals metric (CLS, LCP, FID, FCP, TTFB, INP) of one page view, ISO time. */
export function webVitalRow(
	e: Record<string, unknown>,
	p: Provenance,
	receivedAt: string,
	c: Clips,
): WebEntryResult<object> {
	const ms =
		typeof e.timestamp === "string"
			? Date.parse(e.timestamp)
			: typeof e.timestamp === "number"
				? e.timestamp
				: Number.NaN;
	if (!Number.isFinite(ms)) return { ok: false, reason: "invalid_timestamp" };
	if (typeof e.metricType !== "string" || e.metricType === "") return { ok: false, reason: "invalid_metric" };
	if (typeof e.value !== "number" || !Number.isFinite(e.value)) return { ok: false, reason: "invalid_value" };
	const time = clickhouseTime(c.time(ms, "timestamp"));
	const row = {
		...identity(p, receivedAt),
		timestamp: time,
		value: e.value,
		release: c.text(str(e.deploymentId), LIMITS.release, "release"),
		device_id: c.text(idText(e.deviceId), LIMITS.id, "device_id"),
		...columns(e, VITALS, c),
		metadata: rest(e, VITALS, c),
	};
	return { ok: true, row: { ...row, truncated: c.take(), sdk: p.sdk } };
}

/** A Web Analytics entry: a page view or a custom event (eventData a JSON string), Unix ms time. */
export function webEventRow(
	e: Record<string, unknown>,
	p: Provenance,
	receivedAt: string,
	c: Clips,
): WebEntryResult<object> {
	if (typeof e.timestamp !== "number" || !Number.isFinite(e.timestamp))
		return { ok: false, reason: "invalid_timestamp" };
	if (typeof e.eventType !== "string" || e.eventType === "") return { ok: false, reason: "invalid_event_type" };
	const time = clickhouseTime(c.time(e.timestamp, "timestamp"));
	const row = {
		...identity(p, receivedAt),
		timestamp: time,
		event_data: jsonText(e.eventData, c, "event_data"),
		flags: jsonText(e.flags, c, "flags"),
		session_id: c.text(idText(e.sessionId), LIMITS.id, "session_id"),
		device_id: c.text(idText(e.deviceId), LIMITS.id, "device_id"),
		// v2 names it `deployment`, Speed Insights and v1 `deploymentId`.
		release: c.text(str(e.deployment) ?? str(e.deploymentId), LIMITS.release, "release"),
		schema: str(e.schema) ?? "",
		...columns(e, EVENTS, c),
		metadata: rest(e, EVENTS, c),
	};
	return { ok: true, row: { ...row, truncated: c.take(), sdk: p.sdk } };
}
