import { bracketsAtLeast, depthExceeds } from "./json-object.ts";
import { LIMITS, MAX_COST, MAX_COUNT, MAX_TIME, MIN_TIME } from "./limits.ts";
import { clickhouseTime, type ErrorRow, isoTime, type LogRow, NOTHING_CLIPPED, type Provenance } from "./rows.ts";
import type { LlmPayload, SpanPayload } from "./schemas.ts";
import { ISO_DATETIME, LOG_LEVELS, SEVERITIES, SPAN_STATUSES } from "./wire.ts";

// The fast path of validation: plain checks that accept a body only when the zod schemas of schemas.ts would,
// and produce the same output. Anything else (invalid, or merely unusual) bails out to zod, which decides and
// renders the documented 400. So zod stays the one definition of the contract; this file is an optimisation
// of its common case, and test/unit/fast.test.ts checks it against zod on generated and mutated bodies.
// "Unusual" includes every value past a bound of limits.ts: such a body is valid, and zod's path (rows.ts) clips
// it and lists what it clipped; here a row is only ever built whole, its `truncated` empty.

/** Thrown to leave the fast path; never escapes this module. */
const BAIL: unique symbol = Symbol("bail");

function bail(): never {
	throw BAIL;
}

type Obj = Record<string, unknown>;

function object(v: unknown): Obj {
	if (v === null || typeof v !== "object" || Array.isArray(v)) bail();
	return v as Obj;
}

function string(v: unknown, max: number): string {
	if (typeof v !== "string" || v.length > max) bail();
	return v;
}

function optionalString(v: unknown, max: number): string | undefined {
	return v === undefined ? undefined : string(v, max);
}

function defaulted(v: unknown, max: number, fallback: string): string {
	return v === undefined ? fallback : string(v, max);
}

function oneOf<T extends string>(v: unknown, options: readonly T[]): T {
	if (!options.includes(v as T)) bail();
	return v as T;
}

function number(v: unknown, max: number): number {
	if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > max) bail();
	return v;
}

const count = (v: unknown) => Math.round(number(v, MAX_COUNT));

/** A metadata / context object as JSON.parse made it (an own "__proto__" key is zod's to drop: left to it). */
function optionalObject(v: unknown): Record<string, unknown> | undefined {
	if (v === undefined) return undefined;
	const o = object(v);
	if (Object.hasOwn(o, "__proto__")) bail();
	return o;
}

/** metadata / context within LIMITS.objectBytes and LIMITS.objectDepth: its JSON text (past them: zod's path). */
function optionalJsonObject(v: unknown): string | undefined {
	const o = optionalObject(v);
	if (o === undefined) return undefined;
	const text = JSON.stringify(o);
	if (text.length > LIMITS.objectBytes) bail();
	if (bracketsAtLeast(text, LIMITS.objectDepth) && depthExceeds(o, LIMITS.objectDepth)) bail();
	return text;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The digit at s[i] (0-9), or a value of 10 or more when it is not one (unsigned: below "0" wraps around). */
const digit = (s: string, i: number) => (s.charCodeAt(i) - 48) >>> 0;

/** Two digits at s[i], or -1. */
function two(s: string, i: number): number {
	const a = digit(s, i);
	const b = digit(s, i + 1);
	return a > 9 || b > 9 ? -1 : a * 10 + b;
}

/**
 * True for "YYYY-MM-DDThh:mm:ss.fffZ" (what toISOString and every SDK send) naming a real instant of 1900-2299:
 * a form zod's pattern accepts whose time needs no range check.
 */
function isCanonicalTime(s: string): boolean {
	if (
		s.length !== 24 ||
		s.charCodeAt(4) !== 45 ||
		s.charCodeAt(7) !== 45 ||
		s.charCodeAt(10) !== 84 ||
		s.charCodeAt(13) !== 58 ||
		s.charCodeAt(16) !== 58 ||
		s.charCodeAt(19) !== 46 ||
		s.charCodeAt(23) !== 90
	)
		return false;
	const century = two(s, 0);
	const yy = two(s, 2);
	const year = century < 0 || yy < 0 ? -1 : century * 100 + yy;
	const month = two(s, 5);
	const day = two(s, 8);
	if (year < 1900 || year > 2299 || month < 1 || month > 12 || day < 1) return false;
	const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
	if (day > (month === 2 && leap ? 29 : (DAYS[month - 1] as number))) return false;
	const hour = two(s, 11);
	const minute = two(s, 14);
	const second = two(s, 17);
	return (
		hour >= 0 &&
		hour <= 23 &&
		minute >= 0 &&
		minute <= 59 &&
		second >= 0 &&
		second <= 59 &&
		two(s, 20) >= 0 &&
		digit(s, 22) <= 9
	);
}

/** A canonical time (isCanonicalTime) in milliseconds, by arithmetic. */
function canonicalTime(s: string): number {
	const year = two(s, 0) * 100 + two(s, 2);
	const month = two(s, 5);
	const millis = two(s, 20) * 10 + digit(s, 22);
	const clock = two(s, 11) * 3_600_000 + two(s, 14) * 60_000 + two(s, 17) * 1000 + millis;
	return daysSinceEpoch(year, month, two(s, 8)) * 86_400_000 + clock;
}

/** Days from 1970-01-01 to a Gregorian date (Howard Hinnant's days_from_civil), by integer arithmetic. */
function daysSinceEpoch(year: number, month: number, day: number): number {
	const y = month <= 2 ? year - 1 : year;
	const era = Math.floor(y / 400);
	const yoe = y - era * 400;
	const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
	const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
	return era * 146_097 + doe - 719_468;
}

/** isoTimestamp: the canonical form by arithmetic, any other form by zod's own pattern and Date.parse. */
function timestamp(v: unknown): number {
	if (typeof v !== "string") bail();
	if (isCanonicalTime(v)) return canonicalTime(v);
	if (!ISO_DATETIME.test(v)) bail();
	const ms = Date.parse(v);
	if (!(ms >= MIN_TIME && ms <= MAX_TIME)) bail();
	return ms;
}

/**
 * A log row's time ("YYYY-MM-DD hh:mm:ss.fff"): the canonical form is only rearranged (once its digits and
 * calendar are checked), any other accepted form goes through milliseconds as on the zod path.
 */
function rowTime(v: unknown): string {
	if (typeof v === "string" && isCanonicalTime(v)) return `${v.slice(0, 10)} ${v.slice(11, 23)}`;
	return clickhouseTime(timestamp(v));
}

function logRowsOf(v: unknown, p: Provenance): LogRow[] {
	const b = object(v);
	const logs = b.logs;
	if (!Array.isArray(logs) || logs.length < 1 || logs.length > LIMITS.logsPerRequest) bail();
	const service = defaulted(b.service, LIMITS.name, "unknown");
	const environment = defaulted(b.environment, LIMITS.name, "production");
	const release = optionalString(b.release, LIMITS.release) ?? "";
	const receivedAt = clickhouseTime(p.receivedAt);
	const rows: LogRow[] = new Array(logs.length);
	// Straight from JSON to rows, one literal per log line: what logRows(LogsBody.parse(json)) gives.
	for (let i = 0; i < logs.length; i++) {
		const e = object(logs[i]);
		rows[i] = {
			project_id: p.projectId,
			api_key_id: p.apiKeyId,
			received_at: receivedAt,
			timestamp: e.timestamp === undefined ? receivedAt : rowTime(e.timestamp),
			service,
			environment,
			release: optionalString(e.release, LIMITS.release) ?? release,
			level: oneOf(e.level, LOG_LEVELS),
			message: string(e.message, LIMITS.logMessage),
			metadata: optionalJsonObject(e.metadata) ?? "{}",
			trace_id: optionalString(e.trace_id, LIMITS.id) ?? "",
			span_id: optionalString(e.span_id, LIMITS.id) ?? "",
			request_id: optionalString(e.request_id, LIMITS.id) ?? "",
			context: optionalString(e.context, LIMITS.name) ?? "",
			vercel_id: optionalString(e.vercel_id, LIMITS.id) ?? "",
			truncated: NOTHING_CLIPPED,
			sdk: p.sdk,
		};
	}
	return rows;
}

/** A breadcrumb's time as the row keeps it (ISO): a canonical one is kept as sent, once checked. */
function breadcrumbTime(v: unknown): string {
	if (typeof v === "string" && isCanonicalTime(v)) return v;
	return isoTime(timestamp(v));
}

/** The row's breadcrumbs column (JSON text), as errorRow writes it. */
function breadcrumbsText(v: unknown): string {
	if (v === undefined) return "[]";
	if (!Array.isArray(v) || v.length > LIMITS.breadcrumbs) bail();
	return JSON.stringify(
		v.map((item) => {
			const b = object(item);
			return {
				type: string(b.type, LIMITS.name),
				message: string(b.message, LIMITS.breadcrumbMessage),
				timestamp: breadcrumbTime(b.timestamp),
			};
		}),
	);
}

/** Straight from JSON to the error row, fingerprint left empty: what errorRow(ErrorBody.parse(json), "", p) gives. */
function errorRowOf(v: unknown, p: Provenance): ErrorRow {
	const b = object(v);
	return {
		project_id: p.projectId,
		api_key_id: p.apiKeyId,
		received_at: clickhouseTime(p.receivedAt),
		service: defaulted(b.service, LIMITS.name, "unknown"),
		environment: defaulted(b.environment, LIMITS.name, "production"),
		release: optionalString(b.release, LIMITS.release) ?? "",
		fingerprint: "",
		error_message: string(b.error_message, LIMITS.errorMessage),
		stack_trace: string(b.stack_trace, LIMITS.stackTrace),
		severity: b.severity === undefined ? "medium" : oneOf(b.severity, SEVERITIES),
		context: optionalJsonObject(b.context) ?? "{}",
		trace_id: optionalString(b.trace_id, LIMITS.id) ?? "",
		user_id: optionalString(b.user_id, LIMITS.id) ?? "",
		breadcrumbs: breadcrumbsText(b.breadcrumbs),
		truncated: NOTHING_CLIPPED,
		sdk: p.sdk,
	};
}

function spanBody(v: unknown): SpanPayload {
	const b = object(v);
	return {
		service: defaulted(b.service, LIMITS.name, "unknown"),
		environment: defaulted(b.environment, LIMITS.name, "production"),
		trace_id: string(b.trace_id, LIMITS.id),
		span_id: string(b.span_id, LIMITS.id),
		parent_span_id: defaulted(b.parent_span_id, LIMITS.id, ""),
		operation: string(b.operation, LIMITS.name),
		start_time: timestamp(b.start_time),
		duration_ms: count(b.duration_ms),
		status: b.status === undefined ? "ok" : oneOf(b.status, SPAN_STATUSES),
		metadata: optionalObject(b.metadata),
		release: optionalString(b.release, LIMITS.release),
	};
}

function llmBody(v: unknown): LlmPayload {
	const b = object(v);
	return {
		service: defaulted(b.service, LIMITS.name, "unknown"),
		environment: defaulted(b.environment, LIMITS.name, "production"),
		model: string(b.model, LIMITS.name),
		provider: string(b.provider, LIMITS.name),
		operation: string(b.operation, LIMITS.name),
		input_tokens: count(b.input_tokens),
		output_tokens: count(b.output_tokens),
		cost_usd: b.cost_usd === undefined ? 0 : number(b.cost_usd, MAX_COST),
		latency_ms: count(b.latency_ms),
		metadata: optionalObject(b.metadata),
		release: optionalString(b.release, LIMITS.release),
	};
}

/** A fast validator: the schema's output, or undefined when zod must decide. */
export type FastPath<T> = (json: unknown) => T | undefined;

/** Runs a check; BAIL (or anything unforeseen) means "let zod decide" either way. */
function orUndefined<A extends unknown[], T>(check: (...args: A) => T): (...args: A) => T | undefined {
	return (...args) => {
		try {
			return check(...args);
		} catch {
			return undefined;
		}
	};
}

/** The log rows of a body, or undefined when zod must decide (then: logRows(LogsBody.parse(json), p)). */
export const fastLogRows: (json: unknown, p: Provenance) => LogRow[] | undefined = orUndefined(logRowsOf);
/** The error row (fingerprint still empty), or undefined when zod must decide (then: errorRow(ErrorBody.parse(json), "", p)). */
export const fastErrorRow: (json: unknown, p: Provenance) => ErrorRow | undefined = orUndefined(errorRowOf);
export const fastSpan: FastPath<SpanPayload> = orUndefined(spanBody);
export const fastLlm: FastPath<LlmPayload> = orUndefined(llmBody);
