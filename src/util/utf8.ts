// Text out of request bytes, for every layer that reads bodies (http/ reads them, ingest/ and otlp/ decode them).

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The bytes as text; null when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
	try {
		return utf8.decode(bytes);
	} catch {
		return null;
	}
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * True when JSON.parse(text) cannot yield a lone UTF-16 surrogate. Decoded UTF-8 is always well-formed, so one
 * can only come from a \uD800-\uDFFF escape; most bodies have no \u escape at all (a fast search).
 */
export function parsesWellFormed(text: string): boolean {
	return !text.includes("\\u") || !SURROGATE_ESCAPE.test(text);
}

/** parsesWellFormed for a body still in bytes (an escape is ASCII, so the same search works on UTF-8). */
export function bytesParseWellFormed(bytes: Uint8Array): boolean {
	for (let i = bytes.indexOf(92); i !== -1; i = bytes.indexOf(92, i + 1)) {
		if (bytes[i + 1] !== 117) continue; // "\u"
		const d = bytes[i + 2];
		const x = bytes[i + 3] as number;
		// "d" or "D", then 8-9, a-f or A-F
		if ((d === 100 || d === 68) && (x === 56 || x === 57 || (x >= 97 && x <= 102) || (x >= 65 && x <= 70)))
			return false;
	}
	return true;
}

/** JSON.parse that reports failure as a value. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
	try {
		return { ok: true, value: JSON.parse(text) };
	} catch {
		return { ok: false };
	}
}
