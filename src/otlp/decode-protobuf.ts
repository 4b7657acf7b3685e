import { toHex } from "../util/hex.ts";
import {
	type Attributes,
	type AttrValue,
	emptyAttributes,
	type LogRecord,
	type LogsRequest,
	MAX_VALUE_DEPTH,
	type ResourceItems,
	type Scope,
	type ScopeItems,
	type Span,
	type TracesRequest,
	toBase64,
} from "./model.ts";
import { ProtobufError, Reader, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from "./protobuf.ts";

// Field numbers from opentelemetry-proto (collector/{trace,logs}/v1, {trace,logs,resource,common}/v1).

const { expect } = Reader;

function anyValue(r: Reader, depth: number): AttrValue {
	if (depth > MAX_VALUE_DEPTH) throw new ProtobufError("AnyValue nested too deeply");
	let value: AttrValue = null;
	r.fields((n, wire) => {
		switch (n) {
			case 1: // string_value
				expect(wire, WIRE_LEN);
				value = r.string();
				return true;
			case 2: // bool_value
				expect(wire, WIRE_VARINT);
				value = r.bool();
				return true;
			case 3: // int_value
				expect(wire, WIRE_VARINT);
				value = r.int64();
				return true;
			case 4: // double_value
				expect(wire, WIRE_FIXED64);
				value = r.double();
				return true;
			case 5: {
				// array_value: ArrayValue { repeated AnyValue values = 1 }
				expect(wire, WIRE_LEN);
				const values: AttrValue[] = [];
				r.message((a) =>
					a.fields((m, w) => {
						if (m !== 1) return false;
						expect(w, WIRE_LEN);
						values.push(a.message((v) => anyValue(v, depth + 1)));
						return true;
					}),
				);
				value = values;
				return true;
			}
			case 6: // kvlist_value: KeyValueList { repeated KeyValue values = 1 }
				expect(wire, WIRE_LEN);
				value = r.message((l) => keyValues(l, 1, depth + 1));
				return true;
			case 7: // bytes_value: base64, as OTLP/JSON writes bytes
				expect(wire, WIRE_LEN);
				value = toBase64(r.bytes());
				return true;
			default:
				return false;
		}
	});
	return value;
}

/** KeyValue { string key = 1; AnyValue value = 2 }, one per occurrence of `field` in `r`; the last of a key wins. */
function keyValue(r: Reader, into: Attributes, depth: number): void {
	let key = "";
	let value: AttrValue = null;
	r.fields((n, wire) => {
		if (n === 1) {
			expect(wire, WIRE_LEN);
			key = r.string();
			return true;
		}
		if (n === 2) {
			expect(wire, WIRE_LEN);
			value = r.message((v) => anyValue(v, depth));
			return true;
		}
		return false;
	});
	into[key] = value;
}

/** A message whose `field` is `repeated KeyValue` and nothing else read (KeyValueList). */
function keyValues(r: Reader, field: number, depth: number): Attributes {
	const out = emptyAttributes();
	r.fields((n, wire) => {
		if (n !== field) return false;
		expect(wire, WIRE_LEN);
		r.message((kv) => keyValue(kv, out, depth));
		return true;
	});
	return out;
}

function attribute(r: Reader, wire: number, into: Attributes): void {
	expect(wire, WIRE_LEN);
	r.message((kv) => keyValue(kv, into, 1));
}

/** InstrumentationScope { name = 1; version = 2; attributes = 3 } */
function scope(r: Reader): Scope {
	const s: Scope = { name: "", version: "", attributes: emptyAttributes() };
	r.fields((n, wire) => {
		if (n === 1 || n === 2) {
			expect(wire, WIRE_LEN);
			s[n === 1 ? "name" : "version"] = r.string();
			return true;
		}
		if (n === 3) {
			attribute(r, wire, s.attributes);
			return true;
		}
		return false;
	});
	return s;
}

/** ResourceX { Resource resource = 1; repeated ScopeX scope_x = 2 }; ScopeX { scope = 1; repeated item = 2 }. */
function resourceItems<T>(r: Reader, item: (r: Reader) => T): ResourceItems<T> {
	let resource = emptyAttributes();
	const scopes: ScopeItems<T>[] = [];
	r.fields((n, wire) => {
		if (n === 1) {
			// Resource { repeated KeyValue attributes = 1 }
			expect(wire, WIRE_LEN);
			resource = r.message((res) => keyValues(res, 1, 1));
			return true;
		}
		if (n === 2) {
			expect(wire, WIRE_LEN);
			scopes.push(
				r.message((s) => {
					const out: ScopeItems<T> = { scope: { name: "", version: "", attributes: emptyAttributes() }, items: [] };
					s.fields((m, w) => {
						if (m === 1) {
							expect(w, WIRE_LEN);
							out.scope = s.message(scope);
							return true;
						}
						if (m === 2) {
							expect(w, WIRE_LEN);
							out.items.push(s.message(item));
							return true;
						}
						return false;
					});
					return out;
				}),
			);
			return true;
		}
		return false;
	});
	return { resource, scopes };
}

/** ExportXServiceRequest { repeated ResourceX resource_x = 1 } */
function request<T>(bytes: Uint8Array, item: (r: Reader) => T): ResourceItems<T>[] {
	const r = new Reader(bytes);
	const out: ResourceItems<T>[] = [];
	r.fields((n, wire) => {
		if (n !== 1) return false;
		expect(wire, WIRE_LEN);
		out.push(r.message((res) => resourceItems(res, item)));
		return true;
	});
	return out;
}

function span(r: Reader): Span {
	const s: Span = {
		traceId: "",
		spanId: "",
		parentSpanId: "",
		name: "",
		kind: 0,
		start: 0n,
		end: 0n,
		attributes: emptyAttributes(),
		statusCode: 0,
		statusMessage: "",
	};
	r.fields((n, wire) => {
		switch (n) {
			case 1:
			case 2:
			case 4: {
				expect(wire, WIRE_LEN);
				const id = toHex(r.bytes());
				if (n === 1) s.traceId = id;
				else if (n === 2) s.spanId = id;
				else s.parentSpanId = id;
				return true;
			}
			case 5:
				expect(wire, WIRE_LEN);
				s.name = r.string();
				return true;
			case 6:
				expect(wire, WIRE_VARINT);
				s.kind = r.int32();
				return true;
			case 7:
			case 8:
				expect(wire, WIRE_FIXED64);
				if (n === 7) s.start = r.fixed64();
				else s.end = r.fixed64();
				return true;
			case 9:
				attribute(r, wire, s.attributes);
				return true;
			case 15:
				// Status { string message = 2; StatusCode code = 3 }
				expect(wire, WIRE_LEN);
				r.message((st) =>
					st.fields((m, w) => {
						if (m === 2) {
							expect(w, WIRE_LEN);
							s.statusMessage = st.string();
							return true;
						}
						if (m === 3) {
							expect(w, WIRE_VARINT);
							s.statusCode = st.int32();
							return true;
						}
						return false;
					}),
				);
				return true;
			default:
				return false;
		}
	});
	return s;
}

function logRecord(r: Reader): LogRecord {
	const l: LogRecord = {
		time: 0n,
		observedTime: 0n,
		severityNumber: 0,
		severityText: "",
		body: undefined,
		attributes: emptyAttributes(),
		traceId: "",
		spanId: "",
		eventName: "",
	};
	r.fields((n, wire) => {
		switch (n) {
			case 1:
			case 11:
				expect(wire, WIRE_FIXED64);
				if (n === 1) l.time = r.fixed64();
				else l.observedTime = r.fixed64();
				return true;
			case 2:
				expect(wire, WIRE_VARINT);
				l.severityNumber = r.int32();
				return true;
			case 3:
			case 12:
				expect(wire, WIRE_LEN);
				if (n === 3) l.severityText = r.string();
				else l.eventName = r.string();
				return true;
			case 5:
				expect(wire, WIRE_LEN);
				l.body = r.message((v) => anyValue(v, 1));
				return true;
			case 6:
				attribute(r, wire, l.attributes);
				return true;
			case 8:
				expect(wire, WIRE_FIXED32);
				return false;
			case 9:
			case 10: {
				expect(wire, WIRE_LEN);
				const id = toHex(r.bytes());
				if (n === 9) l.traceId = id;
				else l.spanId = id;
				return true;
			}
			default:
				return false;
		}
	});
	return l;
}

/** ExportTraceServiceRequest; throws ProtobufError when the bytes are not one. */
export function decodeTracesProtobuf(bytes: Uint8Array): TracesRequest {
	return request(bytes, span);
}

/** ExportLogsServiceRequest; throws ProtobufError when the bytes are not one. */
export function decodeLogsProtobuf(bytes: Uint8Array): LogsRequest {
	return request(bytes, logRecord);
}
