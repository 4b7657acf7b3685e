/**
 * The members of a source map that resolution needs, read from its bytes without parsing the rest: most of a
 * production map is `sourcesContent` (the original files), which is stored with the map but never needed here.
 * Parsing the whole map would hold its text and every original file as strings at once (about 3 times the
 * part in memory); this holds the bytes and the few members asked for. Hand-written because JSON.parse has no
 * way to skip a member, and a streaming JSON parser would be a dependency for one top-level object.
 *
 * The object's top level is checked for JSON structure (strings, nesting, separators); skipped values are not
 * validated further. Returns null when the bytes are not one JSON object.
 */

const WANTED = new Set(["version", "file", "sourceRoot", "sources", "names", "mappings", "sections", "ignoreList"]);
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const QUOTE = 34;
const BACKSLASH = 92;

function isSpace(c: number | undefined): boolean {
	return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Index just past the string starting at `i` (a quote), or -1. */
function skipString(b: Uint8Array, i: number): number {
	for (let j = i + 1; j < b.length; j++) {
		const c = b[j];
		if (c === BACKSLASH) j++;
		else if (c === QUOTE) return j + 1;
	}
	return -1;
}

/** Index just past the value starting at `i`, or -1. */
function skipValue(b: Uint8Array, i: number): number {
	const c = b[i];
	if (c === QUOTE) return skipString(b, i);
	if (c === 123 || c === 91) {
		// { or [: to the matching close, strings skipped whole
		let depth = 0;
		for (let j = i; j < b.length; j++) {
			const d = b[j];
			if (d === QUOTE) {
				j = skipString(b, j) - 1;
				if (j < 0) return -1;
			} else if (d === 123 || d === 91) depth++;
			else if (d === 125 || d === 93) {
				if (--depth === 0) return j + 1;
			}
		}
		return -1;
	}
	// number, true, false, null
	let j = i;
	while (j < b.length && !isSpace(b[j]) && b[j] !== 44 && b[j] !== 125 && b[j] !== 93) j++;
	return j > i ? j : -1;
}

function parse(b: Uint8Array, from: number, to: number): unknown {
	return JSON.parse(utf8.decode(b.subarray(from, to)));
}

export function readMapMembers(bytes: Uint8Array): Record<string, unknown> | null {
	try {
		let i = 0;
		// A UTF-8 byte order mark, and the `)]}'` line the spec allows against XSSI.
		if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
		if (bytes[i] === 41 && bytes[i + 1] === 93 && bytes[i + 2] === 125 && bytes[i + 3] === 39) {
			const nl = bytes.indexOf(10, i);
			if (nl < 0) return null;
			i = nl + 1;
		}
		const ws = () => {
			while (isSpace(bytes[i])) i++;
		};
		ws();
		if (bytes[i++] !== 123) return null;
		const out: Record<string, unknown> = {};
		ws();
		if (bytes[i] === 125) i++;
		else {
			for (;;) {
				ws();
				if (bytes[i] !== QUOTE) return null;
				const keyEnd = skipString(bytes, i);
				if (keyEnd < 0) return null;
				const key = parse(bytes, i, keyEnd) as string;
				i = keyEnd;
				ws();
				if (bytes[i++] !== 58) return null; // :
				ws();
				const end = skipValue(bytes, i);
				if (end < 0) return null;
				if (WANTED.has(key)) out[key] = parse(bytes, i, end);
				i = end;
				ws();
				const sep = bytes[i++];
				if (sep === 125) break; // }
				if (sep !== 44) return null; // ,
			}
		}
		ws();
		return i === bytes.length ? out : null;
	} catch {
		return null; // a wanted member or a key that is not JSON, or not UTF-8
	}
}
