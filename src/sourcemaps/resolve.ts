import { withTimeout } from "../util/timeout.ts";
import { indexCache, lookupCache } from "./cache.ts";
import { type OriginalPosition, readIndex, type SourceMapIndex } from "./index-format.ts";
import { normaliseMapName } from "./names.ts";
import type { SourceMapStore } from "./store.ts";

/**
 * A stack with every frame that has a map rewritten to its original place, as V8 prints frames, and every
 * other line left exactly as sent: so an error without maps resolves to its own text (and keeps its
 * fingerprint), and the fingerprint rules read resolved frames like any others.
 *
 * - `none`: no frame had a map; `text` is the stack as sent.
 * - `resolved`: at least one frame was resolved.
 * - `failed`: the store failed; `text` is the stack as sent (the one case where an error groups unresolved
 *   although it has maps: src/routes/ingest/errors.ts marks the row).
 */
export interface ResolvedStack {
	text: string;
	status: "none" | "resolved" | "failed";
}

export interface ResolveInput {
	stackTrace: string;
	release: string;
	project: string;
	store: SourceMapStore;
	now: number;
}

// Bounds, as in fingerprint.ts: work is linear in the stack and capped.
const MAX_STACK_CHARS = 64 * 1024;
const MAX_FRAMES = 64;
const MAX_LINE_CHARS = 2048;
/** The store's time to answer before the error is stored unresolved (`failed`): the response waits for it. */
const RESOLVE_BUDGET_MS = 1500;

interface Frame {
	line: number; // index in the stack's lines
	indent: string;
	map: string; // candidate map name
	row: number;
	column: number;
}

const V8_LOC = /^(.*):(\d+):(\d+)$/;

/** The frames that point into a file at line:column (V8 "at fn (loc)", "at loc"; Firefox/Safari "fn@loc"). */
function framesOf(lines: string[]): Frame[] {
	const frames: Frame[] = [];
	for (let i = 0; i < lines.length && frames.length < MAX_FRAMES; i++) {
		const raw = lines[i] as string;
		if (raw.length > MAX_LINE_CHARS) continue;
		const trimmed = raw.trimStart();
		const indent = raw.slice(0, raw.length - trimmed.length);
		let loc: string;
		const text = trimmed.trimEnd();
		if (text.startsWith("at ")) {
			const rest = text.slice(3);
			const open = rest.endsWith(")") ? rest.lastIndexOf(" (") : -1;
			loc = open >= 0 ? rest.slice(open + 2, -1) : rest;
			if (loc.startsWith("async ")) loc = loc.slice(6);
		} else {
			const at = text.indexOf("@");
			if (at < 0) continue;
			loc = text.slice(at + 1);
		}
		const m = V8_LOC.exec(loc);
		if (!m) continue;
		const map = mapNameFor(m[1] as string);
		if (map === null) continue;
		frames.push({ line: i, indent, map, row: Number(m[2]), column: Number(m[3]) });
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
	const lines = input.stackTrace.split("\n");
	const frames = framesOf(lines);
	if (frames.length === 0) return unresolved;
	const loads = new Loader(input);
	let positions: (OriginalPosition | null)[];
	try {
		// One load per distinct map, all at once (single-flight within this request).
		positions = await withTimeout(
			Promise.all(frames.map(async (f) => (await loads.index(f.map))?.lookup(f.row, f.column) ?? null)),
			RESOLVE_BUDGET_MS,
		);
	} catch (err) {
		console.error(JSON.stringify({ outcome: "sourcemap_lookup_failed", error: String(err) }));
		return { text: input.stackTrace, status: "failed" };
	}
	if (positions.every((p) => p === null)) return unresolved;
	const out = lines.slice();
	frames.forEach((f, k) => {
		const p = positions[k];
		if (!p) return;
		// The function a frame is in is the name its caller called (the next frame's token); the token at the
		// frame's own position is what it calls. Unknown (no caller with a map) is anonymous.
		const caller = frames[k + 1];
		const fn = caller && caller.line > f.line ? positions[k + 1]?.name : null;
		const where = `${p.source}:${p.line}:${p.column + 1}`;
		out[f.line] = fn ? `${f.indent}at ${fn} (${where})` : `${f.indent}at ${where}`;
	});
	return { text: out.join("\n"), status: "resolved" };
}

/** This request's loads: each index and lookup fetched once however many frames need it. */
class Loader {
	private readonly pending = new Map<string, Promise<SourceMapIndex | null>>();
	private readonly input: ResolveInput;
	constructor(input: ResolveInput) {
		this.input = input;
	}

	index(map: string): Promise<SourceMapIndex | null> {
		let p = this.pending.get(map);
		if (!p) {
			p = this.load(map);
			this.pending.set(map, p);
		}
		return p;
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

	private async indexOf(release: string, file: string): Promise<SourceMapIndex | null> {
		const key = `${this.input.project}\n${release}\n${file}`;
		const known = indexCache.get(key, this.input.now);
		if (known !== undefined) return known;
		const buffer = await this.input.store.index(this.input.project, release, file);
		const index = buffer === null ? null : readIndex(buffer);
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
