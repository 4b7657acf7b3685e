import { type Failure, NOT_UTF8 } from "../failure.ts";
import { decodeUtf8 } from "../util/utf8.ts";
import { type Bytes, collect, inflate } from "./inflate.ts";

/** 5 MB, as documented: counted on the wire and again after decompression. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export type { Bytes } from "./inflate.ts";

export type BodyResult =
	| {
			ok: true;
			text: string;
			/** Bytes as received (still compressed when Content-Encoding was set). */
			raw: Bytes;
			/** Bytes after decompression (the same array when none). */
			decoded: Bytes;
			bytes: number;
	  }
	| { ok: false; failure: Failure };

const JSON_TYPES = new Set(["application/json", "text/plain"]);
/** A Map, not an object literal: a header naming an Object.prototype member ("constructor") is not an encoding. */
const ENCODINGS = new Map<string, "gzip" | "deflate" | null>([
	["", null],
	["identity", null],
	["gzip", "gzip"],
	["x-gzip", "gzip"],
	["deflate", "deflate"],
]);

/** The media type without parameters, lower-cased ("" when absent). */
export function mediaType(contentType: string | undefined): string {
	if (!contentType) return "";
	const semi = contentType.indexOf(";");
	return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

export function contentTypeAccepted(contentType: string | undefined, extra: readonly string[] = []): boolean {
	const type = mediaType(contentType);
	// A missing type is not a wrong one: curl and hand-written clients often leave it out.
	return type === "" || JSON_TYPES.has(type) || extra.includes(type);
}

/** The format of a JSON route's body (application/json, text/plain from sendBeacon, or none); undefined: 415. */
export const jsonFormat = (contentType: string | undefined): "json" | undefined =>
	contentTypeAccepted(contentType) ? "json" : undefined;

const EMPTY: Bytes = new Uint8Array(0);

/**
 * The request body as text: supported encoding, at most MAX_BODY_BYTES before and after decompression
 * (a gzip bomb stops at the limit, never expanding in memory), valid UTF-8.
 * With `binary` (protobuf bodies), only the bytes: `text` is "" and no UTF-8 check is made.
 */
export async function readBody(
	req: Request,
	max = MAX_BODY_BYTES,
	opts: { binary?: boolean } = {},
): Promise<BodyResult> {
	const encoding = (req.headers.get("content-encoding") ?? "").trim().toLowerCase();
	const format = ENCODINGS.get(encoding);
	if (format === undefined) return { ok: false, failure: { kind: "unsupported_media_type", what: "content-encoding" } };
	const length = req.headers.get("content-length");
	const declared = Number(length);
	if (declared > max) return { ok: false, failure: { kind: "payload_too_large", maxBytes: max } };

	// With a declared length, HTTP framing bounds what arrives by it: read in one call (without touching req.body,
	// which makes the runtime build a stream object first; one call is also far cheaper in workerd than reading
	// chunk by chunk), then check what came. Without one (chunked), count while reading and stop at the limit.
	let raw: Bytes | null;
	try {
		if (length !== null && Number.isInteger(declared)) raw = new Uint8Array(await req.arrayBuffer());
		else {
			const stream = req.body;
			if (!stream) return { ok: true, text: "", raw: EMPTY, decoded: EMPTY, bytes: 0 };
			raw = await collect(stream, max);
		}
	} catch {
		// The body stopped arriving: the client hung up (or its connection broke). Nothing to answer, nothing lost.
		return { ok: false, failure: { kind: "client_closed" } };
	}
	if (!raw || raw.byteLength > max) return { ok: false, failure: { kind: "payload_too_large", maxBytes: max } };
	let bytes = raw;
	if (format) {
		const inflated = await inflate(raw, format, max);
		if (!inflated.ok) {
			if (inflated.why === "too_large") return { ok: false, failure: { kind: "payload_too_large", maxBytes: max } };
			return { ok: false, failure: { kind: "undecodable_body", reason: `Body is not valid ${format} data` } };
		}
		bytes = inflated.bytes;
	}
	if (opts.binary) return { ok: true, text: "", raw, decoded: bytes, bytes: raw.byteLength };
	const text = decodeUtf8(bytes);
	if (text === null) return { ok: false, failure: NOT_UTF8 };
	return { ok: true, text, raw, decoded: bytes, bytes: raw.byteLength };
}
