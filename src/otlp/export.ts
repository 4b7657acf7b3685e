import { loadSchemas } from "../ingest/load-schemas.ts";
import type { Provenance } from "../ingest/rows.ts";
import { parseJson } from "../util/utf8.ts";
import { decodeLogsProtobuf, decodeTracesProtobuf } from "./decode-protobuf.ts";
import { fastLogsJson, fastTracesJson } from "./json-fast.ts";
import type { LogsRequest, TracesRequest } from "./model.ts";
import { ProtobufError } from "./protobuf.ts";
import type { Encoding, Signal } from "./response.ts";
import { type ItemChecks, logsToRows, type Mapped, NEEDS_SCHEMAS, spansToRows } from "./rows.ts";

// What an OTLP export needs past the HTTP layer: decoding and the row mapping. src/routes/otlp.ts imports this module
// on the first OTLP request, so isolates that serve none never build it; zod (the OTLP/JSON schemas and the items'
// schemas) is loaded only for a request the fast paths do not take.

export type { Mapped };

export type Decoded = { ok: true; value: TracesRequest | LogsRequest } | { ok: false; message: string };

type JsonDecoders = typeof import("./decode-json.ts");
let jsonDecoders: JsonDecoders | undefined;

/** The export request of a signal, or why it is malformed. */
export async function decode(signal: Signal, encoding: Encoding, bytes: Uint8Array, text: string): Promise<Decoded> {
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
	const fast = signal === "traces" ? fastTracesJson(json.value) : fastLogsJson(json.value);
	if (fast) return { ok: true, value: fast };
	jsonDecoders ??= await import("./decode-json.ts");
	return signal === "traces" ? jsonDecoders.decodeTracesJson(json.value) : jsonDecoders.decodeLogsJson(json.value);
}

/** Rows for the signal's table (and llm_usage rows found in spans or logs); `requestBytes` bounds shared copies. */
export async function toRows(
	signal: Signal,
	value: TracesRequest | LogsRequest,
	p: Provenance,
	requestBytes: number,
): Promise<Mapped<object>> {
	const rows = (checks: ItemChecks) =>
		signal === "traces"
			? spansToRows(value as TracesRequest, p, requestBytes, checks)
			: logsToRows(value as LogsRequest, p, requestBytes, checks);
	try {
		return rows({ schemas: undefined });
	} catch (err) {
		// An item the fast path does not take: map the request again with zod at hand (the mapping is pure).
		if (err !== NEEDS_SCHEMAS) throw err;
		return rows({ schemas: await loadSchemas() });
	}
}
