// A drain body read one entry at a time, straight from its UTF-8 bytes: the 5 MB body never becomes one 5 MB
// string nor one tree of 10,000 parsed entries, only one entry at a time (parsed, turned into a row, dropped).
// Only the two regular forms are read this way: a JSON array, and NDJSON of at least two lines. Anything else,
// or anything doubtful (invalid UTF-8, a byte order mark, a malformed array), answers null and the caller
// falls back to parseDrainBody on the whole text, so both paths give the same entries (test/unit/drain-parse.test.ts).

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const NEWLINE = 10;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** JSON whitespace: space, tab, LF, CR. */
const isSpace = (b: number) => b === 32 || b === 9 || b === 10 || b === 13;

function skipSpace(bytes: Uint8Array, i: number): number {
	while (i < bytes.length && isSpace(bytes[i] as number)) i++;
	return i;
}

/**
 * Index just past the JSON value that starts at `i` (its extent only: JSON.parse checks the rest); -1 when it
 * does not end. One pass over the bytes (a call per string would cost more than the loop: entries hold many
 * short strings); a backslash inside a string skips the byte after it.
 */
function valueEnd(bytes: Uint8Array, i: number): number {
	const first = bytes[i] as number;
	if (first === QUOTE || first === OPEN_BRACE || first === OPEN_BRACKET) {
		let depth = 0;
		let inString = false;
		for (let j = i; j < bytes.length; j++) {
			const b = bytes[j] as number;
			if (inString) {
				if (b === BACKSLASH) j++;
				else if (b === QUOTE) {
					inString = false;
					if (depth === 0) return j + 1;
				}
			} else if (b === QUOTE) inString = true;
			else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
			else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
				depth--;
				if (depth === 0) return j + 1;
			}
		}
		return -1;
	}
	// A number or a literal: up to the next separator. Its first byte must be able to start one (no BOM, no junk).
	if (!(first === 45 || (first >= 48 && first <= 57) || first === 116 || first === 102 || first === 110)) return -1;
	let j = i + 1;
	while (j < bytes.length) {
		const b = bytes[j] as number;
		if (b === COMMA || b === CLOSE_BRACKET || isSpace(b)) break;
		j++;
	}
	return j;
}

function parseSlice(bytes: Uint8Array, from: number, to: number): { ok: true; value: unknown } | { ok: false } {
	try {
		return { ok: true, value: JSON.parse(utf8.decode(bytes.subarray(from, to))) };
	} catch {
		return { ok: false };
	}
}

/**
 * Calls `each` for every entry of a JSON-array or NDJSON drain body, in order, and returns how many there were;
 * null when the body is not in one of those regular forms (nothing is then known: the caller starts over).
 * `ndjson`: the Content-Type said NDJSON (a line that does not parse is then an entry of its own, `undefined`).
 */
export function forEachDrainEntry(bytes: Uint8Array, ndjson: boolean, each: (entry: unknown) => void): number | null {
	const start = skipSpace(bytes, 0);
	if (bytes[start] === OPEN_BRACKET) return forEachArrayElement(bytes, start, each);
	if (bytes[start] === OPEN_BRACE) return forEachLine(bytes, start, ndjson, each);
	return null;
}

/** Where the next `},{` starts at or after `from` (-1: none): how JSON.stringify joins an array's objects. */
function nextJoin(bytes: Uint8Array, from: number): number {
	for (let k = bytes.indexOf(CLOSE_BRACE, from); k !== -1; k = bytes.indexOf(CLOSE_BRACE, k + 1)) {
		if (bytes[k + 1] === COMMA && bytes[k + 2] === OPEN_BRACE) return k;
	}
	return -1;
}

/** Tries of `},{` per element before scanning it byte by byte (an entry can hold `},{` in a string or nested array). */
const JOIN_TRIES = 4;

function forEachArrayElement(bytes: Uint8Array, open: number, each: (entry: unknown) => void): number | null {
	let i = skipSpace(bytes, open + 1);
	let count = 0;
	if (bytes[i] === CLOSE_BRACKET) return skipSpace(bytes, i + 1) === bytes.length ? 0 : null;
	for (;;) {
		// Fast: an object ends where `},{` begins, if the slice up to it parses. A JSON value starting at i has
		// exactly one extent, so a slice that parses is that value; a wrong cut (inside a string or a nested
		// array) leaves a slice that cannot parse.
		let end = -1;
		let parsed: { ok: true; value: unknown } | { ok: false } = { ok: false };
		if (bytes[i] === OPEN_BRACE) {
			let join = nextJoin(bytes, i);
			for (let t = 0; join !== -1 && t < JOIN_TRIES; t++) {
				parsed = parseSlice(bytes, i, join + 1);
				if (parsed.ok) {
					end = join + 1;
					break;
				}
				join = nextJoin(bytes, join + 1);
			}
		}
		if (end < 0) {
			// The last element, pretty-printed arrays, anything else: find the value's extent byte by byte.
			end = valueEnd(bytes, i);
			if (end < 0) return null;
			parsed = parseSlice(bytes, i, end);
		}
		if (!parsed.ok) return null;
		each(parsed.value);
		count++;
		i = skipSpace(bytes, end);
		if (bytes[i] === COMMA) {
			i = skipSpace(bytes, i + 1);
			continue;
		}
		if (bytes[i] !== CLOSE_BRACKET) return null;
		return skipSpace(bytes, i + 1) === bytes.length ? count : null;
	}
}

function forEachLine(bytes: Uint8Array, from: number, ndjson: boolean, each: (entry: unknown) => void): number | null {
	// One line may be a single (possibly pretty-printed) JSON object: that is the whole-text path's to read.
	const firstBreak = bytes.indexOf(NEWLINE, from);
	if (firstBreak === -1 || skipSpace(bytes, firstBreak) === bytes.length) return null;
	let count = 0;
	for (let i = from; i < bytes.length; ) {
		const nl = bytes.indexOf(NEWLINE, i);
		const end = nl === -1 ? bytes.length : nl;
		let line: string;
		try {
			line = utf8.decode(bytes.subarray(i, end)).trim();
		} catch {
			return null; // invalid UTF-8: the whole-text path refuses the body
		}
		i = end + 1;
		if (line === "") continue;
		let entry: unknown;
		try {
			entry = JSON.parse(line);
		} catch {
			// Untyped, a line that is not JSON may mean the body is one pretty-printed document: start over.
			// (Two or more lines that each parse can never be one JSON document, so they are NDJSON either way.)
			if (!ndjson) return null;
			entry = undefined;
		}
		each(entry);
		count++;
	}
	return count;
}
