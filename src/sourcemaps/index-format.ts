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
	const decoded = decodeMappings(mappings, map.sources.length, map.names.length);
	if (!decoded) return { ok: false, reason: "malformed mappings" };
	const meta = new TextEncoder().encode(JSON.stringify({ sources: map.resolvedSources, names: map.names }));
	const headerBytes = 8 + meta.byteLength;
	const pad = (4 - (headerBytes % 4)) % 4;
	const ints = 2 + decoded.lineStart.length + decoded.segments.length;
	const out = new Uint8Array(headerBytes + pad + ints * 4);
	const view = new DataView(out.buffer);
	view.setUint32(0, MAGIC, true);
	view.setUint32(4, meta.byteLength, true);
	out.set(meta, 8);
	const body = new Int32Array(out.buffer, headerBytes + pad, ints);
	body[0] = decoded.lineStart.length - 1;
	body[1] = decoded.segments.length / FIELDS;
	body.set(decoded.lineStart, 2);
	body.set(decoded.segments, 2 + decoded.lineStart.length);
	return { ok: true, index: out };
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
	const lineStart = body.subarray(2, 3 + lines);
	const segments = body.subarray(3 + lines);
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
 * The mappings' VLQ decoded straight into flat columns, one pass, linear in the string. Written here rather than
 * taken from @jridgewell/sourcemap-codec because that decoder returns an array per segment (about 17 bytes per
 * byte of mappings), which a 2.5 MB upload cannot afford in a 128 MB isolate; this keeps 20 bytes a segment.
 * Segments are sorted by generated column within each line (stable, as trace-mapping sorts them).
 */
function decodeMappings(
	mappings: string,
	sourceCount: number,
	nameCount: number,
): { lineStart: Int32Array; segments: Int32Array } | null {
	let segments = new Int32Array(Math.max(64, Math.ceil(mappings.length / 4) * FIELDS));
	const lineStarts: number[] = [0];
	let count = 0;
	let source = 0;
	let origLine = 0;
	let origCol = 0;
	let name = 0;
	let genCol = 0;
	let lineFirst = 0;
	let sorted = true;
	const n = mappings.length;
	let pos = 0;
	const field = (): number | null => {
		let value = 0;
		let shift = 0;
		for (;;) {
			if (pos >= n) return null;
			const c = mappings.charCodeAt(pos++);
			const digit = c < 128 ? (BASE64[c] as number) : -1;
			if (digit < 0 || shift > 30) return null;
			value |= (digit & 31) << shift;
			if ((digit & 32) === 0) break;
			shift += 5;
		}
		const negative = value & 1;
		value >>>= 1;
		return negative ? (value === 0 ? -0x80000000 : -value) : value;
	};
	const endLine = () => {
		if (!sorted) sortLine(segments, lineFirst, count);
		lineStarts.push(count);
		lineFirst = count;
		genCol = 0;
		sorted = true;
	};
	while (pos < n) {
		const c = mappings.charCodeAt(pos);
		if (c === 59 /* ; */) {
			pos++;
			endLine();
			continue;
		}
		if (c === 44 /* , */) {
			pos++;
			continue;
		}
		const values: number[] = [];
		while (pos < n && mappings.charCodeAt(pos) !== 44 && mappings.charCodeAt(pos) !== 59) {
			const v = field();
			if (v === null) return null;
			values.push(v);
		}
		if (values.length !== 1 && values.length !== 4 && values.length !== 5) return null;
		if ((count + 1) * FIELDS > segments.length) {
			const grown = new Int32Array(segments.length * 2);
			grown.set(segments);
			segments = grown;
		}
		const at = count * FIELDS;
		const previousCol = genCol;
		genCol += values[0] as number;
		if (genCol < previousCol && count > lineFirst) sorted = false;
		segments[at] = genCol;
		if (values.length === 1) {
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
			if (values.length === 5) {
				name += values[4] as number;
				if (name < 0 || name >= nameCount) return null;
				segments[at + 4] = name;
			} else segments[at + 4] = -1;
		}
		count++;
	}
	endLine();
	return { lineStart: Int32Array.from(lineStarts), segments: segments.subarray(0, count * FIELDS) };
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
