import { LIMITS } from "../ingest/limits.ts";
import { OVER_BUDGET, type SourceMapStore } from "../ports.ts";
import { clip } from "../util/text.ts";
import { withTimeout } from "../util/timeout.ts";
import { indexCache, lookupCache, recalled, remember } from "./cache.ts";
import { INDEX_BUDGET_BYTES, readIndex, type SourceMapIndex } from "./index-format.ts";
import { normaliseMapName } from "./names.ts";

/**
 * A stack with every frame that has a map rewritten to its original place, as V8 prints frames, and every
 * other line left exactly as sent: so an error without maps resolves to its own text (and keeps its
 * fingerprint), and the fingerprint rules read resolved frames like any others.
 *
 * - `none`: no frame had a map; `text` is the stack as sent.
 * - `resolved`: at least one frame was resolved.
 * - `failed`: the store failed; `text` is the stack as sent (an error that groups unresolved although it has maps:
 *   src/routes/ingest/errors.ts marks the row).
 * - `too_large`: the indexes its frames need are more than one request may read (INDEX_BUDGET_BYTES together);
 *   `text` is the stack as sent. Decided by the indexes' sizes alone, so the same error always decides the same.
 */
export interface ResolvedStack {
	text: string;
	status: "none" | "resolved" | "failed" | "too_large";
}

export interface ResolveInput {
	stackTrace: string;
	release: string;
	project: string;
	store: SourceMapStore;
	now: number;
}

// Bounds, as in ingest/fingerprint/frames.ts: work is linear in the stack and capped.
const MAX_STACK_CHARS = 64 * 1024;
const MAX_FRAMES = 64;
const MAX_LINE_CHARS = 2048;
/**
 * A resolved frame's function and file, each: a map's names and sources are the uploader's to choose, and 40 frames
 * naming a 1 MB identifier made a 4 KB error store a 40 MB stack. 64 frames of two such pieces and the stack's
 * own 64 KB stay under the stored stack's bound (LIMITS.stackTrace), which the whole is clipped to besides.
 */
const MAX_PIECE_CHARS = 1024;
/** The store's time to answer before the error is stored unresolved (`failed`): the response waits for it. */
const RESOLVE_BUDGET_MS = 1500;

interface Frame {
	line: number; // index in the stack's lines
	indent: string;
	map: string; // candidate map name
	row: number;
	column: number;
}

/** "loc:line:col" split from the end by hand (a regex with a leading .* backtracks on every line). */
function splitLineCol(loc: string): { path: string; row: number; column: number } | null {
	const c = loc.lastIndexOf(":");
	const r = c > 0 ? loc.lastIndexOf(":", c - 1) : -1;
	if (r <= 0) return null;
	const row = Number(loc.slice(r + 1, c));
	const column = Number(loc.slice(c + 1));
	if (!Number.isInteger(row) || !Number.isInteger(column) || row < 1 || column < 1 || c === r + 1) return null;
	return { path: loc.slice(0, r), row, column };
}

// The same frame files come back error after error: their uploaded names are remembered (bounded).
const mapNames = new Map<string, string | null>();

function cachedMapName(path: string): string | null {
	let name = mapNames.get(path);
	if (name === undefined) {
		name = mapNameFor(path);
		if (mapNames.size >= 4096) mapNames.clear();
		if (path.length <= 512) mapNames.set(path, name);
	}
	return name;
}

/** The frames that point into a file at line:column (V8 "at fn (loc)", "at loc"; Firefox/Safari "fn@loc"). */
function framesOf(lines: string[]): Frame[] {
	const frames: Frame[] = [];
	let lastPath = "";
	let lastMap: string | null = null;
	for (let i = 0; i < lines.length && frames.length < MAX_FRAMES; i++) {
		const raw = lines[i] as string;
		if (raw.length > MAX_LINE_CHARS) continue;
		const text = raw.trim();
		let loc: string;
		if (text.startsWith("at ")) {
			const open = text.endsWith(")") ? text.lastIndexOf(" (") : -1;
			loc = open >= 0 ? text.slice(open + 2, -1) : text.slice(3);
			if (loc.startsWith("async ")) loc = loc.slice(6);
		} else {
			const at = text.indexOf("@");
			if (at < 0) continue;
			loc = text.slice(at + 1);
		}
		const place = splitLineCol(loc);
		if (!place) continue;
		// Frames of one bundle repeat its path: comparing with the last is cheaper than hashing it again.
		if (place.path !== lastPath) {
			lastPath = place.path;
			lastMap = cachedMapName(place.path);
		}
		const map = lastMap;
		if (map === null) continue;
		const indent = raw.slice(0, raw.length - raw.trimStart().length);
		frames.push({ line: i, indent, map, row: place.row, column: place.column });
	}
	return frames;
}

/**
 * The name a frame's file was uploaded under: the path after the last "/_next/" (browser chunks) or "/.next/"
 * (server), else the URL's path; plus ".map". Null for what cannot be an uploaded name.
 */
export function mapNameFor(location: string): string | null {
	// Runtime internals ("node:internal/…", "native", "<anonymous>") and drive paths never name an upload.
	if (/^[a-z][a-z0-9+.-]*:(?!\/\/)/i.test(location)) return null;
	let path = location.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "");
	const cut = path.search(/[?#]/);
	if (cut >= 0) path = path.slice(0, cut);
	path = path.replaceAll("\\", "/");
	for (const marker of ["/_next/", "/.next/"]) {
		const at = path.lastIndexOf(marker);
		if (at >= 0) {
			path = path.slice(at + marker.length);
			break;
		}
	}
	path = path.replace(/^\/+/, "");
	if (path === "" || path.startsWith("<")) return null;
	const name = normaliseMapName(`${path}.map`);
	return name.ok ? name.value : null;
}

/** Resolves the stack's frames against the project's maps (see ResolvedStack). */
export async function resolveStack(input: ResolveInput): Promise<ResolvedStack> {
	const unresolved: ResolvedStack = { text: input.stackTrace, status: "none" };
	if (input.stackTrace.length > MAX_STACK_CHARS) return unresolved;
	const { stackTrace, project, release, now } = input;
	if (lookupCache.get(`${project}\nany`, now) === false) return unresolved; // the project has no maps
	const known = recalled(stackTrace, project, release, now);
	if (known) return { text: known.status === "resolved" ? known.text : stackTrace, status: known.status };
	const result = await resolveFrames(input);
	if (result.status !== "failed")
		remember(stackTrace, { project, release, text: result.text, status: result.status, at: now });
	return result;
}

async function resolveFrames(input: ResolveInput): Promise<ResolvedStack> {
	const unresolved: ResolvedStack = { text: input.stackTrace, status: "none" };
	const lines = input.stackTrace.split("\n");
	const frames = framesOf(lines);
	if (frames.length === 0) return unresolved;
	const loads = new Loader(input);
	if (lookupCache.get(`${input.project}\nany`, input.now) === undefined) {
		try {
			const any = await withTimeout(input.store.hasMaps(input.project), RESOLVE_BUDGET_MS);
			lookupCache.set(`${input.project}\nany`, any, 64, input.now);
			if (!any) return unresolved;
		} catch (err) {
			console.error(JSON.stringify({ outcome: "sourcemap_lookup_failed", error: String(err) }));
			return { text: input.stackTrace, status: "failed" };
		}
	}
	// Most errors find every map they need (or its absence) in the isolate's caches: no promise, no timer.
	const indexes = new Map<string, SourceMapIndex | null | undefined>();
	for (const f of frames) {
		if (indexes.has(f.map)) continue;
		const index = loads.known(f.map);
		indexes.set(f.map, index);
		loads.holds(index);
	}
	const missing = [...indexes].filter(([, index]) => index === undefined).map(([map]) => map);
	if (missing.length > 0) {
		try {
			// One load per distinct map, all at once, within the budget.
			const loaded = await withTimeout(Promise.all(missing.map((m) => loads.index(m))), RESOLVE_BUDGET_MS);
			missing.forEach((m, i) => {
				indexes.set(m, loaded[i]);
			});
		} catch (err) {
			console.error(JSON.stringify({ outcome: "sourcemap_lookup_failed", error: String(err) }));
			return { text: input.stackTrace, status: "failed" };
		}
	}
	// 64 frames may name 64 maps: what one error reads is bounded by the indexes' sizes together, not per index.
	if (loads.overBudget()) return { text: input.stackTrace, status: "too_large" };
	const positions = frames.map((f) => indexes.get(f.map)?.lookup(f.row, f.column) ?? null);
	if (positions.every((p) => p === null)) return unresolved;
	const out = lines.slice();
	frames.forEach((f, k) => {
		const p = positions[k];
		if (!p) return;
		// The function a frame is in is the name its caller called (the next frame's token); the token at the
		// frame's own position is what it calls. Unknown (no caller with a map) is anonymous.
		const caller = frames[k + 1];
		const name = caller && caller.line > f.line ? positions[k + 1]?.name : null;
		const fn = name ? clip(name, MAX_PIECE_CHARS) : null;
		const where = `${clip(p.source, MAX_PIECE_CHARS)}:${p.line}:${p.column + 1}`;
		out[f.line] = fn ? `${f.indent}at ${fn} (${where})` : `${f.indent}at ${where}`;
	});
	return { text: clip(out.join("\n"), LIMITS.stackTrace), status: "resolved" };
}

/**
 * This request's loads: each index and lookup fetched once however many frames need it, and no more index bytes
 * read than INDEX_BUDGET_BYTES together (what the isolate caches; the indexes it already holds counted too), each
 * index's size asked before its body is read.
 */
class Loader {
	private readonly pending = new Map<string, Promise<SourceMapIndex | null>>();
	private readonly input: ResolveInput;
	/** Bytes of the indexes this request needs (held by the isolate, being read, or read: their strings decoded). */
	private reserved = 0;
	/** An index was left unread for want of budget. */
	private refused = false;
	constructor(input: ResolveInput) {
		this.input = input;
	}

	private readonly held = new Set<SourceMapIndex>();
	/** Counts an index the isolate already held toward the request's budget (once, whatever names reach it). */
	holds(index: SourceMapIndex | null | undefined): void {
		if (!index || this.held.has(index)) return;
		this.held.add(index);
		this.reserved += index.bytes;
	}

	/** The stack needs more than one request may read: too_large. Decided by the indexes' sizes alone. */
	overBudget(): boolean {
		return this.refused || this.reserved > INDEX_BUDGET_BYTES;
	}

	private readonly afford = (bytes: number): boolean => {
		if (this.refused || this.reserved + bytes > INDEX_BUDGET_BYTES) {
			this.refused = true;
			return false;
		}
		this.reserved += bytes;
		return true;
	};

	index(map: string): Promise<SourceMapIndex | null> {
		let p = this.pending.get(map);
		if (!p) {
			p = this.load(map);
			this.pending.set(map, p);
		}
		return p;
	}

	private knownFiles: string[] | undefined;

	/** What the isolate's caches already say about a map: its index, null (none), or undefined (ask the store). */
	known(map: string): SourceMapIndex | null | undefined {
		const { project, release, now } = this.input;
		if (release !== "") {
			this.knownFiles ??= lookupCache.get(`${project}\nfiles\n${release}`, now) as string[] | undefined;
			if (this.knownFiles === undefined) return undefined;
			const file = matchFile(map, this.knownFiles);
			if (file !== null) return indexCache.get(`${project}\n${release}\n${file}`, now);
		}
		const latest = lookupCache.get(`${project}\nlatest\n${map}`, now);
		if (latest === undefined) return undefined;
		return latest === null ? null : indexCache.get(`${project}\n${latest}\n${map}`, now);
	}

	private async load(map: string): Promise<SourceMapIndex | null> {
		const { release } = this.input;
		if (release !== "") {
			const file = matchFile(map, await this.releaseFiles());
			if (file !== null) return this.indexOf(release, file);
		}
		// Without a release, or not in it: the latest upload of the name (chunk names are content-hashed).
		const latest = await this.latestRelease(map);
		return latest === null ? null : this.indexOf(latest, map);
	}

	private releaseFilesOnce: Promise<string[]> | undefined;
	private releaseFiles(): Promise<string[]> {
		this.releaseFilesOnce ??= this.cached(`files\n${this.input.release}`, () =>
			this.input.store.releaseFiles(this.input.project, this.input.release),
		) as Promise<string[]>;
		return this.releaseFilesOnce;
	}

	private latestRelease(map: string): Promise<string | null> {
		return this.cached(`latest\n${map}`, () => this.input.store.latestRelease(this.input.project, map)) as Promise<
			string | null
		>;
	}

	private async cached(key: string, load: () => Promise<string | null | string[]>) {
		const full = `${this.input.project}\n${key}`;
		const known = lookupCache.get(full, this.input.now);
		if (known !== undefined) return known;
		const value = await load();
		const bytes = Array.isArray(value) ? value.reduce((n, s) => n + s.length + 16, 0) : 64;
		lookupCache.set(full, value, bytes, this.input.now);
		return value;
	}

	private readonly files = new Map<string, Promise<SourceMapIndex | null>>();
	/** One read per file however many map names reach it (a frame's name matches a release's file by its end). */
	private indexOf(release: string, file: string): Promise<SourceMapIndex | null> {
		const key = `${this.input.project}\n${release}\n${file}`;
		let p = this.files.get(key);
		if (!p) {
			p = this.read(key, release, file);
			this.files.set(key, p);
		}
		return p;
	}

	private async read(key: string, release: string, file: string): Promise<SourceMapIndex | null> {
		const known = indexCache.get(key, this.input.now);
		this.holds(known);
		if (known !== undefined) return known;
		if (this.refused) return null;
		const buffer = await this.input.store.index(this.input.project, release, file, this.afford);
		if (buffer === OVER_BUDGET) return null; // not cached: the index exists, this request could not read it
		const index = buffer === null ? null : readIndex(buffer);
		if (index) this.reserved += index.bytes - (buffer as ArrayBuffer).byteLength; // its strings, decoded
		indexCache.set(key, index, index?.bytes ?? 64, this.input.now);
		return index;
	}
}

/** The release's file for a frame's map name: the same name, else the longest one either ends with at a "/". */
function matchFile(map: string, files: string[]): string | null {
	let best: string | null = null;
	for (const f of files) {
		if (f === map) return f;
		if ((map.endsWith(`/${f}`) || f.endsWith(`/${map}`)) && (best === null || f.length > best.length)) best = f;
	}
	return best;
}
