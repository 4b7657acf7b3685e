import { type LogsJson, logsOf, REQUEST_DEPTH, type TracesJson, tooDeep, tracesOf } from "./json-map.ts";
import type { LogsRequest, TracesRequest } from "./model.ts";

// The fast path of OTLP/JSON decoding, as src/ingest/fast.ts is the JSON routes': plain checks that take a request
// only when the schemas of decode-json.ts would, then the same mapping (json-map.ts). Anything else (invalid, or
// merely unusual: values nested deeper than an exporter sends) is left to zod, which decides and says what is
// wrong. test/unit/otlp-fast.test.ts holds the two to the same answers on generated, mutated and arbitrary bodies.
//
// What zod checks is types, field by field (unknown fields are ignored), and before it, the depth of the whole
// request (tooDeep). The checks below follow the schemas' shapes with the depth of each container; a field they do
// not know is ignored as zod ignores it, except that a container in one is measured as tooDeep would measure it.

type Obj = Record<string, unknown>;

/** Containers the fast path follows at most this deep; deeper ones, valid or not, are zod's (REQUEST_DEPTH is higher). */
const MAX_DEPTH = 64;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const isString = (v: unknown) => v === undefined || typeof v === "string";
/** z.number(): finite (JSON's 1e999 is Infinity, which zod refuses). */
const isNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v);
/** Int64 and Enum: a string or a number. */
const isStringOrNumber = (v: unknown) => v === undefined || typeof v === "string" || isNumber(v);

/** The members of `o` no schema field names: ignored, unless a container in one nests past REQUEST_DEPTH. */
function othersShallow(o: Obj, known: ReadonlySet<string>, depth: number): boolean {
	for (const key in o) {
		const v = o[key];
		if (v !== null && typeof v === "object" && !known.has(key) && tooDeep(v, REQUEST_DEPTH - depth - 1)) return false;
	}
	return true;
}

/** An optional object at `depth` whose own fields `fields` checks. */
function object(v: unknown, depth: number, known: ReadonlySet<string>, fields: (o: Obj, depth: number) => boolean) {
	if (v === undefined) return true;
	return isObject(v) && depth <= MAX_DEPTH && fields(v, depth) && othersShallow(v, known, depth);
}

/** An optional array at `depth` whose every item `item` checks (at depth + 1). */
function array(v: unknown, depth: number, item: (v: unknown, depth: number) => boolean): boolean {
	if (v === undefined) return true;
	if (!Array.isArray(v) || depth > MAX_DEPTH) return false;
	for (const x of v) if (x === undefined || !item(x, depth + 1)) return false;
	return true;
}

const ANY_VALUE = new Set([
	"stringValue",
	"boolValue",
	"intValue",
	"doubleValue",
	"bytesValue",
	"arrayValue",
	"kvlistValue",
]);
const VALUES = new Set(["values"]);
const KEY_VALUE = new Set(["key", "value"]);

/** OtlpAnyValue: present (an array's items are never undefined, see array()). */
function anyValue(v: unknown, depth: number): boolean {
	return object(v, depth, ANY_VALUE, (o, d) => {
		if (!isString(o.stringValue) || !isString(o.bytesValue)) return false;
		if (o.boolValue !== undefined && typeof o.boolValue !== "boolean") return false;
		if (!isStringOrNumber(o.intValue) || !isStringOrNumber(o.doubleValue)) return false;
		return (
			object(o.arrayValue, d + 1, VALUES, (a, da) => array(a.values, da + 1, anyValue)) &&
			object(o.kvlistValue, d + 1, VALUES, (a, da) => array(a.values, da + 1, keyValue))
		);
	});
}

function keyValue(v: unknown, depth: number): boolean {
	return object(v, depth, KEY_VALUE, (o, d) => isString(o.key) && anyValue(o.value, d + 1));
}

const attributes = (v: unknown, depth: number) => array(v, depth, keyValue);

const ATTRIBUTES = new Set(["attributes"]);
const SCOPE = new Set(["name", "version", "attributes"]);

const resource = (v: unknown, depth: number) => object(v, depth, ATTRIBUTES, (o, d) => attributes(o.attributes, d + 1));
const scope = (v: unknown, depth: number) =>
	object(v, depth, SCOPE, (o, d) => isString(o.name) && isString(o.version) && attributes(o.attributes, d + 1));

const SPAN = new Set([
	"traceId",
	"spanId",
	"parentSpanId",
	"name",
	"kind",
	"startTimeUnixNano",
	"endTimeUnixNano",
	"attributes",
	"status",
]);
const STATUS = new Set(["message", "code"]);

function span(v: unknown, depth: number): boolean {
	return object(
		v,
		depth,
		SPAN,
		(o, d) =>
			isString(o.traceId) &&
			isString(o.spanId) &&
			isString(o.parentSpanId) &&
			isString(o.name) &&
			isStringOrNumber(o.kind) &&
			isStringOrNumber(o.startTimeUnixNano) &&
			isStringOrNumber(o.endTimeUnixNano) &&
			attributes(o.attributes, d + 1) &&
			object(o.status, d + 1, STATUS, (s) => isString(s.message) && isStringOrNumber(s.code)),
	);
}

const LOG_RECORD = new Set([
	"timeUnixNano",
	"observedTimeUnixNano",
	"severityNumber",
	"severityText",
	"body",
	"attributes",
	"traceId",
	"spanId",
	"eventName",
]);

function logRecord(v: unknown, depth: number): boolean {
	return object(
		v,
		depth,
		LOG_RECORD,
		(o, d) =>
			isStringOrNumber(o.timeUnixNano) &&
			isStringOrNumber(o.observedTimeUnixNano) &&
			isStringOrNumber(o.severityNumber) &&
			isString(o.severityText) &&
			anyValue(o.body, d + 1) &&
			attributes(o.attributes, d + 1) &&
			isString(o.traceId) &&
			isString(o.spanId) &&
			isString(o.eventName),
	);
}

/** An export request's check: its list of resources, each a list of scopes, each a list of items. */
function exportRequest(lists: [string, string, string], item: (v: unknown, depth: number) => boolean) {
	const [resources, scopes, items] = lists;
	const [top, perResource, perScope] = [new Set([resources]), new Set(["resource", scopes]), new Set(["scope", items])];
	const scoped = (v: unknown, depth: number) =>
		object(v, depth, perScope, (o, d) => scope(o.scope, d + 1) && array(o[items], d + 1, item));
	const resourced = (v: unknown, depth: number) =>
		object(v, depth, perResource, (o, d) => resource(o.resource, d + 1) && array(o[scopes], d + 1, scoped));
	return (json: unknown) => isObject(json) && object(json, 0, top, (o, d) => array(o[resources], d + 1, resourced));
}

const isTracesRequest = exportRequest(["resourceSpans", "scopeSpans", "spans"], span);
const isLogsRequest = exportRequest(["resourceLogs", "scopeLogs", "logRecords"], logRecord);

/** The spans of an OTLP/JSON traces request when zod would take it (decodeTracesJson's value); undefined: zod decides. */
export function fastTracesJson(json: unknown): TracesRequest | undefined {
	return isTracesRequest(json) ? tracesOf(json as TracesJson) : undefined;
}

/** The log records of an OTLP/JSON logs request when zod would take it; undefined: zod decides. */
export function fastLogsJson(json: unknown): LogsRequest | undefined {
	return isLogsRequest(json) ? logsOf(json as LogsJson) : undefined;
}
