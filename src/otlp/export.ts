import type { Provenance } from "../ingest/rows.ts";
import { parseJson } from "../util/utf8.ts";
import { decodeLogsJson, decodeTracesJson } from "./decode-json.ts";
import { decodeLogsProtobuf, decodeTracesProtobuf } from "./decode-protobuf.ts";
import type { LogsRequest, TracesRequest } from "./model.ts";
import { ProtobufError } from "./protobuf.ts";
import type { Encoding, Signal } from "./response.ts";
import { logsToRows, type Mapped, spansToRows } from "./rows.ts";

// What an OTLP export needs past the HTTP layer: decoding (with the OTLP/JSON zod schemas) and the row mapping.
// src/routes/otlp.ts imports this module on the first OTLP request, so isolates that serve none never build it.

export type { Mapped };

export type Decoded = { ok: true; value: TracesRequest | LogsRequest } | { ok: false; message: string };

/** The export request of a signal, or why it is malformed. */
export function decode(signal: Signal, encoding: Encoding, bytes: Uint8Array, text: string): Decoded {
	if (encoding === "protobuf") {
		try {
			return { ok: true, value: signal === "traces" ? decodeTracesProtobuf(bytes) : decodeLogsProtobuf(bytes) };
		} catch (err) {
			if (err instanceof ProtobufError) return { ok: false, message: `Malformed protobuf: ${err.message}` };
			throw err;
		}
	}
	const json = parseJson(text);
	if (!json.ok) return { ok: false, message: "Malformed JSON body" };
	return signal === "traces" ? decodeTracesJson(json.value) : decodeLogsJson(json.value);
}

/** Rows for the signal's table (and llm_usage rows found in spans or logs); `requestBytes` bounds shared copies. */
export function toRows(
	signal: Signal,
	value: TracesRequest | LogsRequest,
	p: Provenance,
	requestBytes: number,
): Mapped<object> {
	return signal === "traces"
		? spansToRows(value as TracesRequest, p, requestBytes)
		: logsToRows(value as LogsRequest, p, requestBytes);
}
