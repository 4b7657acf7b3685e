import type { ErrorPayload, LlmPayload, LogsPayload, SpanPayload } from "./schemas.ts";

/** Who sent the rows and when: always from the API key and the server clock, never from the body. */
export interface Provenance {
	projectId: string;
	apiKeyId: string;
	receivedAt: number;
}

const DAY_MS = 86_400_000;
let cachedDay = Number.NaN;
let cachedDate = "";
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** "YYYY-MM-DD hh:mm:ss.fff" in UTC: what DateTime64(3, 'UTC') parses in JSONEachRow without extra settings. */
export function clickhouseTime(time: number): string {
	// Whole milliseconds, as the column keeps them: a fractional one (a drain's Python time.time()*1000) would be
	// written "….001.5", which ClickHouse refuses after the request was acknowledged.
	const ms = Math.floor(time);
	// The rows of a batch mostly share their day: format the date once per day, the time of day by arithmetic.
	const day = Math.floor(ms / DAY_MS);
	if (day !== cachedDay) {
		cachedDay = day;
		cachedDate = new Date(day * DAY_MS).toISOString().slice(0, 10);
	}
	const t = ms - day * DAY_MS;
	const seconds = Math.floor(t / 1000);
	return `${cachedDate} ${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}.${pad3(t % 1000)}`;
}

export interface LogRow {
	project_id: string;
	api_key_id: string;
	received_at: string;
	timestamp: string;
	service: string;
	environment: string;
	release: string;
	level: string;
	message: string;
	metadata: string;
	trace_id: string;
	span_id: string;
	request_id: string;
	context: string;
	vercel_id: string;
}

export function logRows(body: LogsPayload, p: Provenance): LogRow[] {
	const receivedAt = clickhouseTime(p.receivedAt);
	const { service, environment } = body;
	const release = body.release ?? "";
	const logs = body.logs;
	const rows: LogRow[] = new Array(logs.length);
	// A plain loop and one literal per row (no spread): this runs once per log line.
	for (let i = 0; i < logs.length; i++) {
		const log = logs[i] as LogsPayload["logs"][number];
		rows[i] = {
			project_id: p.projectId,
			api_key_id: p.apiKeyId,
			received_at: receivedAt,
			timestamp: log.timestamp === undefined ? receivedAt : clickhouseTime(log.timestamp),
			service,
			environment,
			release: log.release ?? release,
			level: log.level,
			message: log.message,
			metadata: log.metadata ?? "{}",
			trace_id: log.trace_id ?? "",
			span_id: log.span_id ?? "",
			request_id: log.request_id ?? "",
			context: log.context ?? "",
			vercel_id: log.vercel_id ?? "",
		};
	}
	return rows;
}

/** toISOString by the same arithmetic (breadcrumb times, kept as ISO text in the row's JSON). */
export function isoTime(ms: number): string {
	const t = clickhouseTime(ms);
	return `${t.slice(0, 10)}T${t.slice(11)}Z`;
}

export function errorRow(body: ErrorPayload, fingerprint: string, p: Provenance) {
	return {
		project_id: p.projectId,
		api_key_id: p.apiKeyId,
		received_at: clickhouseTime(p.receivedAt),
		service: body.service,
		environment: body.environment,
		release: body.release ?? "",
		fingerprint,
		error_message: body.error_message,
		stack_trace: body.stack_trace,
		severity: body.severity,
		context: body.context ?? "{}",
		trace_id: body.trace_id ?? "",
		user_id: body.user_id ?? "",
		breadcrumbs: JSON.stringify(
			(body.breadcrumbs ?? []).map((b) => ({
				type: b.type,
				message: b.message,
				timestamp: isoTime(b.timestamp),
			})),
		),
	};
}

export function spanRow(body: SpanPayload, p: Provenance) {
	return {
		project_id: p.projectId,
		api_key_id: p.apiKeyId,
		received_at: clickhouseTime(p.receivedAt),
		service: body.service,
		environment: body.environment,
		release: body.release ?? "",
		trace_id: body.trace_id,
		span_id: body.span_id,
		parent_span_id: body.parent_span_id,
		operation: body.operation,
		start_time: clickhouseTime(body.start_time),
		duration_ms: body.duration_ms,
		status: body.status,
		metadata: body.metadata ?? "{}",
	};
}

export function llmRow(body: LlmPayload, p: Provenance) {
	return {
		project_id: p.projectId,
		api_key_id: p.apiKeyId,
		received_at: clickhouseTime(p.receivedAt),
		service: body.service,
		environment: body.environment,
		release: body.release ?? "",
		model: body.model,
		provider: body.provider,
		operation: body.operation,
		input_tokens: body.input_tokens,
		output_tokens: body.output_tokens,
		cost_usd: body.cost_usd,
		latency_ms: body.latency_ms,
		metadata: body.metadata ?? "{}",
	};
}

export type ErrorRow = ReturnType<typeof errorRow>;
