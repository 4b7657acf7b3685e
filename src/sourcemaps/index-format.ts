import resolveUri from "@jridgewell/resolve-uri";
import { nextTurn } from "../util/yield.ts";
import { MapScanner, type ScannedMap } from "./map-json.ts";
import { FIELDS, IndexWriter, MappingsDecoder, type Placement, WHOLE } from "./mappings.ts";

/**
 * The lookup index of one source map, built once at upload time and stored beside it: every mapping segment
 * decoded into flat 32-bit columns (20 bytes a segment, no per-segment objects), plus the sources and names.
 * Reading it back is a JSON.parse of the two small arrays and a typed-array view, so the first error against a
 * 3.5 MB map costs a lookup, not a parse and VLQ decode of the whole map (what Sentry's symcache does too).
 *
 * Lookups follow @jridgewell/trace-mapping's originalPositionFor (greatest lower bound; on an exact column the
 * first segment there); test/unit/sourcemap-index.test.ts checks every segment of real maps against it.
 *
 * Layout: "DTI1" | u32 meta bytes | meta JSON {sources, names} | pad to 4 | i32 lines | i32 segments |
 *         i32 lineStart[lines + 1] | i32 segment[segments * 5] (generated column, source, line, column, name).
 *
 * Bounded by the map: an index is at most INDEX_FACTOR × the map's bytes + INDEX_SLACK_BYTES, and its bytes and
 * decoded strings fit the isolate's cache (INDEX_BUDGET_BYTES), or the map is refused at upload, before anything of
 * it is stored. Real maps come far below: the bench's 3.5 MB map (sourcesContent included) has a 3.0 MB index, and
 * a map of mappings alone about 3× (20 bytes a segment of 5 to 8 characters). The factor is what stops a few bytes
 * of `sections` offsets, a long `sourceRoot` before every source, or segments of one character from costing the
 * isolate gigabytes.
 */

const MAGIC = 0x31495444; // "DTI1" little-endian
export const INDEX_FACTOR = 6;
export const INDEX_SLACK_BYTES = 64 * 1024;
/** The isolate's cache of decoded indexes (src/sourcemaps/cache.ts): an index that cannot fit is never stored. */
export const INDEX_BUDGET_BYTES = 32 * 1024 * 1024;
/** Mappings decoded between two turns of the event loop: other requests of the isolate are not held up for long. */
const DECODE_SLICE_BYTES = 256 * 1024;

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

/** A map found fit to index: its index's size, known before anything is stored, and how to build it. */
export interface IndexPlan {
	bytes: number;
	build(): Promise<Uint8Array<ArrayBuffer>>;
}

export type Planned = { ok: true; plan: IndexPlan } | { ok: false; reason: string };

/** The index's sources and names as maps add them, and their characters so far (what the bound counts). */
interface Lists {
	sources: string[];
	names: string[];
	chars: number;
}

/** One map's part of the index: its mappings and where they go. */
interface Piece {
	mappings: Uint8Array[];
	at: Placement;
}

/** Decides, from the scanned members and the counting pass, whether the map is indexed and how big its index is. */
export async function planIndex(scan: ScannedMap, mapBytes: number): Promise<Planned> {
	const m = scan.members;
	if (m.version !== 3) return refuse("not a version 3 source map");
	const limit = INDEX_FACTOR * mapBytes + INDEX_SLACK_BYTES;
	const lists: Lists = { sources: [], names: [], chars: 0 };
	const pieces: Piece[] = [];
	let segments: number;
	let lines: number;
	if (Array.isArray(m.sections)) {
		const flat = await planSections(m.sections, lists, limit);
		if (!flat.ok) return flat;
		pieces.push(...flat.pieces);
		segments = flat.segments;
		lines = flat.lines;
	} else {
		if (scan.mappings === null || scan.counted === null) return refuse("not a source map");
		const added = addLists(m, lists, limit);
		if (added !== null) return refuse(added);
		const reason = checkCounted(scan.counted, m);
		if (reason !== null) return refuse(reason);
		pieces.push({ mappings: scan.mappings, at: WHOLE });
		segments = scan.counted.kept;
		lines = scan.counted.lastLine() + 1;
	}
	const meta = new TextEncoder().encode(JSON.stringify({ sources: lists.sources, names: lists.names }));
	const start = align(8 + meta.byteLength);
	const bytes = start + (3 + lines + segments * FIELDS) * 4;
	if (bytes > limit)
		return refuse(`its lookup index would exceed ${INDEX_FACTOR} times the map's size (too many segments or lines)`);
	if (bytes + meta.byteLength > INDEX_BUDGET_BYTES)
		return refuse(`its lookup index would exceed ${INDEX_BUDGET_BYTES / (1024 * 1024)} MB`);
	return {
		ok: true,
		plan: { bytes, build: () => build(meta, start, lines, segments, pieces) },
	};
}

/** The index of a map's bytes, as an upload builds it, in one piece (tests, the bench, dev tooling). */
export async function buildIndex(
	bytes: Uint8Array,
): Promise<{ ok: true; index: Uint8Array<ArrayBuffer> } | { ok: false; reason: string }> {
	const scanner = new MapScanner();
	scanner.feed(bytes);
	const scan = scanner.finish();
	if (!scan.ok) return scan;
	const planned = await planIndex(scan.map, bytes.byteLength);
	return planned.ok ? { ok: true, index: await planned.plan.build() } : planned;
}

const refuse = (reason: string) => ({ ok: false as const, reason });
const align = (n: number) => n + ((4 - (n % 4)) % 4);

async function build(
	meta: Uint8Array,
	start: number,
	lines: number,
	segments: number,
	pieces: Piece[],
): Promise<Uint8Array<ArrayBuffer>> {
	const out = new Uint8Array(start + (3 + lines + segments * FIELDS) * 4);
	const view = new DataView(out.buffer);
	view.setUint32(0, MAGIC, true);
	view.setUint32(4, meta.byteLength, true);
	out.set(meta, 8);
	const body = new Int32Array(out.buffer, start);
	body[0] = lines;
	body[1] = segments;
	const writer = new IndexWriter(body.subarray(2, 3 + lines), body.subarray(3 + lines));
	let sinceTurn = 0;
	for (const piece of pieces) {
		const decoder = new MappingsDecoder(writer, piece.at);
		for (const bytes of piece.mappings) {
			for (let at = 0; at < bytes.byteLength; at += DECODE_SLICE_BYTES) {
				const to = Math.min(bytes.byteLength, at + DECODE_SLICE_BYTES);
				decoder.feed(bytes, at, to);
				sinceTurn += to - at;
				if (sinceTurn >= DECODE_SLICE_BYTES) {
					sinceTurn = 0;
					await nextTurn();
				}
			}
		}
		decoder.end();
	}
	writer.closeTo(lines);
	// The plan counted exactly these segments: anything else is a bug, not input.
	if (writer.count !== segments) throw new Error(`index: counted ${segments} segments, wrote ${writer.count}`);
	return out;
}

/** The mappings' own errors, and indexes into lists the map does not have. */
function checkCounted(counted: MappingsDecoder, m: { sources?: unknown; names?: unknown }): string | null {
	if (counted.error !== null) return `malformed mappings: ${counted.error}`;
	const sources = Array.isArray(m.sources) ? m.sources.length : 0;
	const names = Array.isArray(m.names) ? m.names.length : 0;
	if (counted.maxSource >= sources) return "malformed mappings: a source the map does not list";
	if (counted.maxName >= names) return "malformed mappings: a name the map does not list";
	return null;
}

/**
 * Appends a map's sources (resolved against its sourceRoot as @jridgewell/trace-mapping resolves them, with the
 * resolver it uses) and names, made
 * well-formed (a lone UTF-16 surrogate would make ClickHouse refuse every error resolved through the map); null, or
 * why the map is refused. The resolved sources are bounded before they are made: sourceRoot × sources is quadratic.
 */
function addLists(
	m: { sources?: unknown; names?: unknown; sourceRoot?: unknown },
	lists: Lists,
	limit: number,
): string | null {
	const { sources, sourceRoot } = m;
	const names = m.names ?? [];
	if (!Array.isArray(sources) || !sources.every((s) => typeof s === "string" || s === null)) return "not a source map";
	if (!Array.isArray(names) || !names.every((s) => typeof s === "string"))
		return "not a source map: names must be strings";
	if (sourceRoot !== undefined && sourceRoot !== null && typeof sourceRoot !== "string") return "not a source map";
	const root = typeof sourceRoot === "string" && sourceRoot !== "" ? sourceRoot.length + 1 : 0;
	let chars = lists.chars;
	for (const s of sources) chars += root + ((s as string | null)?.length ?? 0);
	for (const s of names as string[]) chars += s.length;
	if (chars > limit)
		return `its sources and names would exceed ${INDEX_FACTOR} times the map's size (a long sourceRoot)`;
	lists.chars = chars;
	// As trace-mapping resolves them (its resolve.ts): sourceRoot as a directory, against a map URL we do not have.
	const prefix = typeof sourceRoot === "string" && sourceRoot !== "" ? `${sourceRoot}/` : "";
	for (const s of sources as (string | null)[]) lists.sources.push(wellFormed(resolveUri(prefix + (s ?? ""), "")));
	for (const s of names as string[]) lists.names.push(wellFormed(s));
	return null;
}

const wellFormed = (s: string) => (s.isWellFormed() ? s : s.toWellFormed());

/**
 * An index map's sections flattened as trace-mapping's AnyMap flattens them: each section's segments shifted by its
 * offset and cut where the next section starts, its sources and names appended. Sections must be in order (the spec
 * says so) and may not nest (an embedded map is a plain map in ECMA-426).
 */
async function planSections(
	sections: unknown[],
	lists: Lists,
	limit: number,
): Promise<{ ok: true; pieces: Piece[]; segments: number; lines: number } | { ok: false; reason: string }> {
	const offsets: { line: number; column: number }[] = [];
	for (const s of sections) {
		const offset = (s as { offset?: { line?: unknown; column?: unknown } } | null)?.offset;
		const line = offset?.line;
		const column = offset?.column;
		if (!Number.isSafeInteger(line) || !Number.isSafeInteger(column) || (line as number) < 0 || (column as number) < 0)
			return refuse("not a source map: a section without a valid offset");
		const previous = offsets.at(-1);
		if (
			previous &&
			((line as number) < previous.line || (line === previous.line && (column as number) < previous.column))
		)
			return refuse("sections out of order");
		offsets.push({ line: line as number, column: column as number });
	}
	const pieces: Piece[] = [];
	let segments = 0;
	let lines = 0;
	for (let i = 0; i < sections.length; i++) {
		const map = (sections[i] as { map?: unknown }).map as Record<string, unknown> | undefined;
		if (typeof map !== "object" || map === null) return refuse("not a source map: a section without a map");
		if ("sections" in map) return refuse("nested sections are not supported");
		if (typeof map.mappings !== "string") return refuse("not a source map: a section without mappings");
		const offset = offsets[i] as { line: number; column: number };
		const next = offsets[i + 1];
		const at: Placement = {
			lineOffset: offset.line,
			columnOffset: offset.column,
			stopLine: next ? next.line : Number.POSITIVE_INFINITY,
			stopColumn: next ? next.column : Number.POSITIVE_INFINITY,
			sourceBase: lists.sources.length,
			nameBase: lists.names.length,
		};
		const added = addLists(map, lists, limit);
		if (added !== null) return refuse(added);
		const bytes = new TextEncoder().encode(map.mappings);
		const counted = new MappingsDecoder(null, at);
		counted.feed(bytes);
		counted.end();
		const reason = checkCounted(counted, map);
		if (reason !== null) return refuse(reason);
		segments += counted.kept;
		lines = Math.max(lines, counted.lastLine() + 1);
		// Checked as the sections add up, so a section's offset far ahead is refused before it is counted further.
		if (segments * FIELDS * 4 + lines * 4 > limit)
			return refuse(`its lookup index would exceed ${INDEX_FACTOR} times the map's size (too many segments or lines)`);
		pieces.push({ mappings: [bytes], at });
		if (bytes.byteLength >= DECODE_SLICE_BYTES) await nextTurn();
	}
	return { ok: true, pieces, segments, lines };
}

/** Reads an index written by buildIndex; null when it is not one. */
export function readIndex(buffer: ArrayBuffer): SourceMapIndex | null {
	if (buffer.byteLength < 16) return null;
	const view = new DataView(buffer);
	if (view.getUint32(0, true) !== MAGIC) return null;
	const metaBytes = view.getUint32(4, true);
	const start = align(8 + metaBytes);
	if (start + 8 > buffer.byteLength) return null;
	const text = new TextDecoder().decode(new Uint8Array(buffer, 8, metaBytes));
	const meta = JSON.parse(text) as { sources: string[]; names: string[] };
	// Indexes stored before uploads made their strings well-formed: a lone surrogate is written as an escape.
	if (/\\u[dD][89a-fA-F]/.test(text)) {
		meta.sources = meta.sources.map(wellFormed);
		meta.names = meta.names.map(wellFormed);
	}
	const { sources, names } = meta;
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
