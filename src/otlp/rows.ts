import type { z } from "zod/mini";
import { Clips } from "../ingest/clip.ts";
import { fastLlm, fastLogRows, fastSpan } from "../ingest/fast.ts";
import { LIMITS } from "../ingest/limits.ts";
import { noRejections, type Rejections, reject } from "../ingest/rejections.ts";
import { type LogRow, llmRow, logRows, type Provenance, spanRow } from "../ingest/rows.ts";
import type { LlmPayload, LogsPayload, SpanPayload } from "../ingest/schemas.ts";
import { DETAIL_FIELDS, needsPrice, tokenDetails, type Unpriced, unpriced } from "../prices/apply.ts";
import { clip } from "../util/text.ts";
import { itemMetadata, lookup, members, sharedAllowance, sharedAttributes } from "./attributes.ts";
import type { Attributes, AttrValue, LogRecord, LogsRequest, Span, TracesRequest } from "./model.ts";

/** Rows from one OTLP request, and what was refused by reason (for partial_success and the wide event). */
export interface Mapped<R> {
	rows: R[];
	llm: object[];
	/** The llm rows that wait for the price table (priced in place: they are in `llm` too). */
	pricing: Unpriced[];
	rejected: Rejections;
	/** What clipped the rows (its total: field paths listed in `truncated`, over all rows). */
	clips: Clips;
}

const NS_PER_MS = 1_000_000n;
const SPAN_KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"];

function str(v: AttrValue | undefined): string | undefined {
	return typeof v === "string" ? v : undefined;
}

function num(v: AttrValue | undefined): number | undefined {
	if (typeof v === "number") return v;
	// int64 beyond 2^53 arrives as a decimal string
	if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
	return undefined;
}

/**
 * service / environment / release from the resource (semantic conventions), the schema's defaults otherwise. A
 * Vercel trace drain's resource names its deployment and project (vercel.deploymentId, vercel.projectId): the
 * deployment is the release, and the project the service where service.name is absent, as the log drain maps them,
 * so one deployment's logs and spans agree. The release is the JSON API's field, at most 128 characters; a longer
 * one is clipped (and listed), as a drain's deployment id is, rather than refusing every item of the resource.
 */
function identity(resource: Attributes) {
	const release = str(resource["vercel.deploymentId"]) ?? str(resource["service.version"]);
	return {
		service: str(resource["service.name"]) ?? str(resource["vercel.projectName"]) ?? str(resource["vercel.projectId"]),
		environment: str(resource["deployment.environment.name"]) ?? str(resource["deployment.environment"]),
		release: release === undefined ? undefined : clip(release, LIMITS.release),
		releaseClipped: release !== undefined && release.length > LIMITS.release,
	};
}
type Identity = ReturnType<typeof identity>;

/** Notes the resource's clipped release for the row about to be built. */
function noteRelease(ids: Identity, c: Clips): void {
	if (ids.releaseClipped) c.note("release");
}

/** Items in a request: the shared attributes' allowance is shared out among them. */
function itemCount<T>(req: { scopes: { items: T[] }[] }[]): number {
	let n = 0;
	for (const r of req) for (const sc of r.scopes) n += sc.items.length;
	return n;
}

function reason(error: { issues: readonly z.core.$ZodIssue[] }, strip?: RegExp): string {
	const issue = error.issues[0];
	if (!issue) return "invalid";
	const joined = issue.path.join(".");
	const path = strip ? joined.replace(strip, "") : joined;
	return path ? `${path}: ${issue.message}` : issue.message;
}

const note = (m: Mapped<unknown>, why: string) => reject(m.rejected, why);

type Schemas = typeof import("../ingest/schemas.ts");
type Checked<T> = { success: true; data: T } | { success: false; error: { issues: readonly z.core.$ZodIssue[] } };

/** Thrown when an item needs zod and its schemas are not at hand: toRows() loads them and maps the request again. */
export const NEEDS_SCHEMAS: unique symbol = Symbol("needs schemas");

/**
 * How an item is checked: as by POST /ingest/traces, /ingest/logs and /ingest/llm, the fast path (src/ingest/fast.ts)
 * first and zod when it declines; `fast: false` (tests) asks zod for every item.
 */
export interface ItemChecks {
	schemas: Schemas | undefined;
	fast?: boolean;
}

function check<T>(fast: T | undefined, checks: ItemChecks, zod: (schemas: Schemas) => Checked<T>): Checked<T> {
	if (fast !== undefined) return { success: true, data: fast };
	if (!checks.schemas) throw NEEDS_SCHEMAS;
	return zod(checks.schemas);
}

function idProblem(name: string, hex: string | null, bytes: number, optional: boolean): string | undefined {
	if (hex === null) return `${name} is not hex`;
	if (optional && hex === "") return undefined;
	if (hex.length !== bytes * 2) return `${name} must be ${bytes} bytes`;
	if (/^0+$/.test(hex)) return `${name} must not be all zeroes`;
	return undefined;
}

function spanProblem(s: Span): string | undefined {
	const id =
		idProblem("trace_id", s.traceId, 16, false) ??
		idProblem("span_id", s.spanId, 8, false) ??
		idProblem("parent_span_id", s.parentSpanId, 8, true);
	if (id) return id;
	if (s.start === null || s.start === 0n) return "start_time_unix_nano is required";
	if (s.end === null || s.end < s.start) return "end_time_unix_nano must not be before start_time_unix_nano";
	return undefined;
}

/**
 * Spans that sum the usage of the model calls beneath them (an agent's run and steps): pricing them too would count
 * a trace's cost twice (Langfuse skips them for the same reason). Their rows keep the tokens, priced `unknown`.
 */
export const AGGREGATE_OPERATIONS = new Set(["invoke_agent", "create_agent", "agent_step", "execute_tool"]);

/** An llm_usage row when the span carries the GenAI semantic conventions (a model at least), into `m`. */
function genAiRow(
	m: Mapped<object>,
	layers: Attributes[],
	s: Span,
	ids: Identity,
	durationMs: number,
	p: Provenance,
	c: Clips,
	checks: ItemChecks,
): void {
	const a = (key: string) => lookup(key, ...layers);
	const model = str(a("gen_ai.response.model")) ?? str(a("gen_ai.request.model"));
	if (model === undefined) return;
	const operation = str(a("gen_ai.operation.name"));
	const record = {
		...ids,
		model,
		provider: str(a("gen_ai.provider.name")) ?? str(a("gen_ai.system")) ?? "unknown",
		operation: operation ?? s.name,
		input_tokens: num(a("gen_ai.usage.input_tokens")) ?? num(a("gen_ai.usage.prompt_tokens")) ?? 0,
		output_tokens: num(a("gen_ai.usage.output_tokens")) ?? num(a("gen_ai.usage.completion_tokens")) ?? 0,
		cost_usd: num(a("gen_ai.usage.cost_usd")) ?? num(a("gen_ai.usage.cost")) ?? 0,
		latency_ms: durationMs,
		metadata: { trace_id: s.traceId, span_id: s.spanId },
	};
	const fast = checks.fast === false ? undefined : fastLlm(record);
	const parsed = check<LlmPayload>(fast, checks, (zod) => zod.LlmBody.safeParse(record));
	if (!parsed.success) return;
	const row = llmRow(parsed.data, p, c);
	m.llm.push(row);
	const details = tokenDetails(a, DETAIL_FIELDS.span);
	if (needsPrice(row, details) && !(operation !== undefined && AGGREGATE_OPERATIONS.has(operation)))
		m.pricing.push({ row, details, counting: "semconv" });
	else unpriced(row);
}

/**
 * spans rows (and llm_usage rows for GenAI spans), each validated by the same schema as POST /ingest/traces;
 * metadata from src/otlp/attributes.ts (bounded, shared attributes serialised once per scope).
 */
export function spansToRows(req: TracesRequest, p: Provenance, bodyBytes: number, checks: ItemChecks): Mapped<object> {
	const m: Mapped<object> = { rows: [], llm: [], pricing: [], rejected: noRejections(), clips: new Clips() };
	const allowance = sharedAllowance(bodyBytes, itemCount(req));
	for (const { resource, scopes } of req) {
		const ids = identity(resource);
		const resourceMembers = members(resource);
		for (const { scope, items } of scopes) {
			const scopeAttrs: Attributes = { ...scope.attributes };
			if (scope.name) scopeAttrs["otel.scope.name"] = scope.name;
			if (scope.version) scopeAttrs["otel.scope.version"] = scope.version;
			const shared = sharedAttributes(resourceMembers, scopeAttrs, allowance);
			for (const s of items) {
				const problem = spanProblem(s);
				if (problem) {
					note(m, problem);
					continue;
				}
				const start = s.start as bigint;
				const durationMs = Number((s.end as bigint) - start) / 1e6;
				const extra: Attributes = { "span.kind": SPAN_KINDS[s.kind] ?? String(s.kind) };
				if (s.statusMessage) extra["otel.status_description"] = s.statusMessage;
				const metadata = itemMetadata(shared, s.attributes, extra);
				const body = {
					...ids,
					trace_id: s.traceId,
					span_id: s.spanId,
					parent_span_id: s.parentSpanId,
					operation: s.name,
					start_time: new Date(Number(start / NS_PER_MS)).toISOString(),
					duration_ms: durationMs,
					status: s.statusCode === 2 ? "error" : "ok",
				};
				const fast = checks.fast === false ? undefined : fastSpan(body);
				const parsed = check<SpanPayload>(fast, checks, (zod) => zod.SpanBody.safeParse(body));
				if (!parsed.success) {
					note(m, reason(parsed.error));
					continue;
				}
				if (metadata.clipped) m.clips.note("metadata");
				noteRelease(ids, m.clips);
				const row = spanRow(parsed.data, p, m.clips);
				row.metadata = metadata.text;
				m.rows.push(row);
				genAiRow(m, [s.attributes, scope.attributes, resource], s, ids, parsed.data.duration_ms, p, m.clips, checks);
			}
		}
	}
	return m;
}

const LEVEL_TEXT: Record<string, "debug" | "info" | "warn" | "error"> = {
	trace: "debug",
	debug: "debug",
	info: "info",
	information: "info",
	notice: "info",
	warn: "warn",
	warning: "warn",
	error: "error",
	err: "error",
	fatal: "error",
	critical: "error",
	crit: "error",
	alert: "error",
	emergency: "error",
	emerg: "error",
};

/** SeverityNumber ranges (TRACE+DEBUG, INFO, WARN, ERROR+FATAL), else the text, else info. */
export function level(severityNumber: number, severityText: string): "debug" | "info" | "warn" | "error" {
	if (severityNumber >= 1 && severityNumber <= 8) return "debug";
	if (severityNumber >= 9 && severityNumber <= 12) return "info";
	if (severityNumber >= 13 && severityNumber <= 16) return "warn";
	if (severityNumber >= 17 && severityNumber <= 24) return "error";
	const text = severityText
		.trim()
		.toLowerCase()
		.replace(/[0-9]+$/, "");
	return LEVEL_TEXT[text] ?? "info";
}

function message(body: AttrValue | undefined): string {
	if (body === undefined || body === null) return "";
	return typeof body === "string" ? body : JSON.stringify(body);
}

function logProblem(l: LogRecord): string | undefined {
	return idProblem("trace_id", l.traceId, 16, true) ?? idProblem("span_id", l.spanId, 8, true);
}

/** logs rows, each validated by the same schema as POST /ingest/logs; metadata as for spans. */
export function logsToRows(req: LogsRequest, p: Provenance, bodyBytes: number, checks: ItemChecks): Mapped<LogRow> {
	const m: Mapped<LogRow> = { rows: [], llm: [], pricing: [], rejected: noRejections(), clips: new Clips() };
	const allowance = sharedAllowance(bodyBytes, itemCount(req));
	for (const { resource, scopes } of req) {
		const ids = identity(resource);
		const resourceMembers = members(resource);
		for (const { scope, items } of scopes) {
			const scopeAttrs: Attributes = { ...scope.attributes };
			if (scope.version) scopeAttrs["otel.scope.version"] = scope.version;
			const shared = sharedAttributes(resourceMembers, scopeAttrs, allowance);
			for (const l of items) {
				const problem = logProblem(l);
				if (problem) {
					note(m, problem);
					continue;
				}
				const time = l.time ? l.time : l.observedTime;
				if (time === null) {
					note(m, "time_unix_nano is not an integer");
					continue;
				}
				const extra: Attributes = {};
				if (l.severityText) extra["otel.severity_text"] = l.severityText;
				if (l.eventName) extra["otel.event_name"] = l.eventName;
				const metadata = itemMetadata(shared, l.attributes, extra);
				const entry = {
					level: level(l.severityNumber, l.severityText),
					message: message(l.body),
					timestamp: time ? new Date(Number(time / NS_PER_MS)).toISOString() : undefined,
					trace_id: l.traceId || undefined,
					span_id: l.spanId || undefined,
					context: scope.name || undefined,
				};
				const body = { ...ids, logs: [entry] };
				// The fast path's rows are whole (nothing clipped): taken only when the shared parts were not clipped either.
				const whole = checks.fast !== false && !metadata.clipped && !ids.releaseClipped;
				const fast = whole ? fastLogRows(body, p) : undefined;
				let rows: LogRow[];
				if (fast) rows = fast;
				else {
					const parsed = check<LogsPayload>(undefined, checks, (zod) => zod.LogsBody.safeParse(body));
					if (!parsed.success) {
						note(m, reason(parsed.error, /^logs\.0\.?/));
						continue;
					}
					if (metadata.clipped) m.clips.note("metadata");
					noteRelease(ids, m.clips);
					rows = logRows(parsed.data, p, m.clips);
				}
				for (const row of rows) {
					row.metadata = metadata.text;
					m.rows.push(row);
				}
			}
		}
	}
	return m;
}
