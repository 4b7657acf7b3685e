/**
 * The decoded OTLP requests, the same for protobuf and JSON: only the fields the rows use.
 * Ids are lower-case hex ("" when absent, null when the sender's encoding was invalid);
 * times are Unix nanoseconds (null when not a valid integer).
 */

export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
/** Null-prototype objects: attribute keys come from the sender ("__proto__" must stay a plain key). */
export type Attributes = Record<string, AttrValue>;

export interface Scope {
	name: string;
	version: string;
	attributes: Attributes;
}

export interface Span {
	traceId: string | null;
	spanId: string | null;
	parentSpanId: string | null;
	name: string;
	kind: number;
	start: bigint | null;
	end: bigint | null;
	attributes: Attributes;
	statusCode: number;
	statusMessage: string;
}

export interface LogRecord {
	time: bigint | null;
	observedTime: bigint | null;
	severityNumber: number;
	severityText: string;
	/** undefined when the record has no body. */
	body: AttrValue | undefined;
	attributes: Attributes;
	traceId: string | null;
	spanId: string | null;
	eventName: string;
}

export interface ScopeItems<T> {
	scope: Scope;
	items: T[];
}

export interface ResourceItems<T> {
	resource: Attributes;
	scopes: ScopeItems<T>[];
}

export type TracesRequest = ResourceItems<Span>[];
export type LogsRequest = ResourceItems<LogRecord>[];

/** Nesting allowed in AnyValue (arrays, kvlists): deeper requests are malformed, not a stack overflow. */
export const MAX_VALUE_DEPTH = 32;

export function emptyAttributes(): Attributes {
	return Object.create(null) as Attributes;
}

export function toBase64(bytes: Uint8Array): string {
	let binary = "";
	for (const b of bytes) binary += String.fromCharCode(b);
	return btoa(binary);
}
