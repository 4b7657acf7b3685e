import { AnyMap, encodedMappings, type SourceMapInput, TraceMap } from "@jridgewell/trace-mapping";

/**
 * The lookup index of one source map, built once at upload time and stored beside it: every mapping segment
 * decoded into flat 32-bit columns (20 bytes a segment, no per-segment objects), plus the sources and names.
 * Reading it back is a JSON.parse of the two small arrays and a typed-array view, so the first error against a
 * 3.5 MB map costs a lookup, not a parse and VLQ decode of the whole map (what Sentry's symcache does too).
 *
 * Lookups follow @jridgewell/trace-mapping's originalPositionFor (greatest lower bound; on an exact column the
 * first segment there);
 * test/unit/sourcemap-index.test.ts checks every segment of real maps against it.
 *
 * Layout: "DTI1" | u32 meta bytes | meta JSON {sources, names} | pad to 4 | i32 lines | i32 segments |
 *         i32 lineStart[lines + 1] | i32 segment[segments * 5] (generated column, source, line, column, name).
 */

const MAGIC = 0x31495444; // "DTI1" little-endian
const FIELDS = 5;

export interface OriginalPosition {
	source: string;
	/** 1-based */
	line: number;
	/** 0-based, as in source maps */
	column: number;
	name: string | null;
}

export interface SourceMapIndex {
	/** Bytes held, for the cache's budget. */
	readonly bytes: number;
	/** `line` 1-based and `column` 1-based, as printed in stack traces. */
	lookup(line: number, column: number): OriginalPosition | null;
}

export type IndexBuild = { ok: true; index: Uint8Array<ArrayBuffer> } | { ok: false; reason: string };

/** Builds the index of a parsed map; refuses what is not a version 3 source map. */
export function buildIndex(json: unknown): IndexBuild {
	if (typeof json !== "object" || json === null) return { ok: false, reason: "not a source map" };
	const raw = json as { version?: unknown; mappings?: unknown; sections?: unknown; sources?: unknown };
	if (raw.version !== 3) return { ok: false, reason: "not a version 3 source map" };
	const sectioned = Array.isArray(raw.sections);
	if (!sectioned && (typeof raw.mappings !== "string" || !Array.isArray(raw.sources)))
		return { ok: false, reason: "not a source map" };
	let map: TraceMap;
	try {
		// The library reads the map's shape (sourceRoot, null sources, index maps with sections); nothing is
		// decoded here for a plain map, so the decode below is the only pass over the mappings.
		map = sectioned ? new AnyMap(json as SourceMapInput) : new TraceMap(json as SourceMapInput);
	} catch {
		return { ok: false, reason: "not a source map" };
	}
	const mappings = encodedMappings(map);
	const meta = new TextEncoder().encode(JSON.stringify({ sources: map.resolvedSources, names: map.names }));
	const headerBytes = 8 + meta.byteLength;
	const start = headerBytes + ((4 - (headerBytes % 4)) % 4);
	// Sized from the separators (at most one segment per "," or ";" plus one), so the segments are decoded
	// straight into the stored buffer: no growing, no second copy.
	const { lines, maxSegments } = countSeparators(mappings);
	const out = new Uint8Array(start + (2 + lines + 1 + maxSegments * FIELDS) * 4);
	const body = new Int32Array(out.buffer, start);
	const lineStart = body.subarray(2, 3 + lines);
	const count = decodeMappings(mappings, map.sources.length, map.names.length, lineStart, body.subarray(3 + lines));
	if (count === null) return { ok: false, reason: "malformed mappings" };
	const view = new DataView(out.buffer);
	view.setUint32(0, MAGIC, true);
	view.setUint32(4, meta.byteLength, true);
	out.set(meta, 8);
	body[0] = lines;
	body[1] = count;
	return { ok: true, index: out.subarray(0, start + (3 + lines + count * FIELDS) * 4) };
}

function countSeparators(mappings: string): { lines: number; maxSegments: number } {
	let semicolons = 0;
	let commas = 0;
	for (let i = 0; i < mappings.length; i++) {
		const c = mappings.charCodeAt(i);
		if (c === 59) semicolons++;
		else if (c === 44) commas++;
	}
	return { lines: semicolons + 1, maxSegments: semicolons + commas + 1 };
}

/** Reads an index written by buildIndex; null when it is not one. */
export function readIndex(buffer: ArrayBuffer): SourceMapIndex | null {
	if (buffer.byteLength < 16) return null;
	const view = new DataView(buffer);
	if (view.getUint32(0, true) !== MAGIC) return null;
	const metaBytes = view.getUint32(4, true);
	const headerBytes = 8 + metaBytes;
	const start = headerBytes + ((4 - (headerBytes % 4)) % 4);
	if (start + 8 > buffer.byteLength) return null;
	const { sources, names } = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, metaBytes))) as {
		sources: string[];
		names: string[];
	};
	const body = new Int32Array(buffer, start, (buffer.byteLength - start) >> 2);
	const lines = body[0] ?? 0;
	const count = body[1] ?? 0;
	if (3 + lines + count * FIELDS > body.length) return null;
	const lineStart = body.subarray(2, 3 + lines);
	const segments = body.subarray(3 + lines, 3 + lines + count * FIELDS);
	return {
		bytes: buffer.byteLength + metaBytes, // the strings again, decoded
		lookup(line, column) {
			const l = line - 1;
			if (l < 0 || l >= lines) return null;
			const col = column - 1;
			let lo = lineStart[l] as number;
			let hi = lineStart[l + 1] as number;
			// First segment whose generated column is past `col`; the one before it is the greatest lower bound.
			while (lo < hi) {
				const mid = (lo + hi) >>> 1;
				if ((segments[mid * FIELDS] as number) <= col) lo = mid + 1;
				else hi = mid;
			}
			let i = lo - 1;
			if (i < (lineStart[l] as number)) return null;
			// On an exact column, the first of the segments there; past it, the last (as trace-mapping answers).
			if (segments[i * FIELDS] === col) while (i > (lineStart[l] as number) && segments[(i - 1) * FIELDS] === col) i--;
			const source = segments[i * FIELDS + 1] as number;
			if (source < 0) return null;
			const name = segments[i * FIELDS + 4] as number;
			return {
				source: sources[source] ?? "",
				line: (segments[i * FIELDS + 2] as number) + 1,
				column: segments[i * FIELDS + 3] as number,
				name: name < 0 ? null : (names[name] ?? null),
			};
		},
	};
}

// ---------------------------------------------------------------------------------------------- decoding

const BASE64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++)
	BASE64["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;

/**
 * The mappings' VLQ decoded straight into flat columns, one pass, linear in the string; returns the segment
 * count, or null when malformed. Written here rather than taken from @jridgewell/sourcemap-codec because that
 * decoder returns an array per segment (about 17 bytes per byte of mappings), which a 2.5 MB upload cannot
 * afford in a 128 MB isolate; this writes 20 bytes a segment into the index itself. Segments are sorted by
 * generated column within each line (stable, as trace-mapping sorts them).
 */
function decodeMappings(
	mappings: string,
	sourceCount: number,
	nameCount: number,
	lineStart: Int32Array,
	segments: Int32Array,
): number | null {
	const values = new Int32Array(6);
	let count = 0;
	let line = 0;
	let source = 0;
	let origLine = 0;
	let origCol = 0;
	let name = 0;
	let genCol = 0;
	let lineFirst = 0;
	let sorted = true;
	const n = mappings.length;
	let pos = 0;
	lineStart[0] = 0;
	for (;;) {
		const c = pos < n ? mappings.charCodeAt(pos) : 59;
		if (c === 59 /* ; */) {
			if (!sorted) sortLine(segments, lineFirst, count);
			lineStart[++line] = count;
			lineFirst = count;
			genCol = 0;
			sorted = true;
			if (pos++ >= n) return count;
			continue;
		}
		if (c === 44 /* , */) {
			pos++;
			continue;
		}
		let fields = 0;
		while (pos < n) {
			const d = mappings.charCodeAt(pos);
			if (d === 44 || d === 59) break;
			if (fields === 6) return null;
			// One VLQ field: 5 bits a base64 digit, continuation in bit 6, sign in the lowest bit.
			let value = 0;
			let shift = 0;
			for (;;) {
				if (pos >= n || shift > 30) return null;
				const ch = mappings.charCodeAt(pos++);
				const digit = ch < 128 ? (BASE64[ch] as number) : -1;
				if (digit < 0) return null;
				value |= (digit & 31) << shift;
				if ((digit & 32) === 0) break;
				shift += 5;
			}
			const negative = value & 1;
			value >>>= 1;
			values[fields++] = negative ? (value === 0 ? -0x80000000 : -value) : value;
		}
		if (fields !== 1 && fields !== 4 && fields !== 5) return null;
		const at = count * FIELDS;
		const previousCol = genCol;
		genCol += values[0] as number;
		if (genCol < previousCol && count > lineFirst) sorted = false;
		segments[at] = genCol;
		if (fields === 1) {
			segments[at + 1] = -1;
			segments[at + 2] = 0;
			segments[at + 3] = 0;
			segments[at + 4] = -1;
		} else {
			source += values[1] as number;
			origLine += values[2] as number;
			origCol += values[3] as number;
			if (source < 0 || source >= sourceCount || origLine < 0 || origCol < 0) return null;
			segments[at + 1] = source;
			segments[at + 2] = origLine;
			segments[at + 3] = origCol;
			if (fields === 5) {
				name += values[4] as number;
				if (name < 0 || name >= nameCount) return null;
				segments[at + 4] = name;
			} else segments[at + 4] = -1;
		}
		count++;
	}
}

/** Stable sort of one line's segments by generated column (maps from some tools are not sorted). */
function sortLine(segments: Int32Array, from: number, to: number): void {
	const rows: number[][] = [];
	for (let i = from; i < to; i++) rows.push(Array.from(segments.subarray(i * FIELDS, (i + 1) * FIELDS)));
	rows.sort((a, b) => (a[0] as number) - (b[0] as number));
	rows.forEach((row, k) => {
		segments.set(row, (from + k) * FIELDS);
	});
}
