import type { SourceMapIndex } from "./index-format.ts";

/**
 * Isolate-lifetime memory of source map lookups: decoded indexes in an LRU bounded by bytes, and the small
 * answers (which release last uploaded a file, which files a release has) bounded by count. Only decoded data is
 * shared across requests, never a promise (Workers forbid awaiting another request's I/O); loads are
 * single-flight within a request (src/sourcemaps/resolve.ts).
 *
 * Entries expire, so an isolate sees another isolate's upload or delete within LOOKUP_TTL_MS; uploads and
 * deletes through this isolate forget the project at once.
 */
const INDEX_BUDGET_BYTES = 32 * 1024 * 1024;
const INDEX_TTL_MS = 10 * 60_000;
const LOOKUP_TTL_MS = 60_000;
const MAX_LOOKUPS = 4096;

interface Entry<T> {
	value: T;
	at: number;
	bytes: number;
}

class Lru<T> {
	private entries = new Map<string, Entry<T>>();
	private bytes = 0;
	private readonly maxBytes: number;
	private readonly maxEntries: number;
	private readonly ttlMs: number;
	constructor(maxBytes: number, maxEntries: number, ttlMs: number) {
		this.maxBytes = maxBytes;
		this.maxEntries = maxEntries;
		this.ttlMs = ttlMs;
	}

	get(key: string, now: number): T | undefined {
		const entry = this.entries.get(key);
		if (entry === undefined) return undefined;
		this.entries.delete(key);
		if (now - entry.at > this.ttlMs) {
			this.bytes -= entry.bytes;
			return undefined;
		}
		this.entries.set(key, entry); // most recently used last
		return entry.value;
	}

	set(key: string, value: T, bytes: number, now: number): void {
		if (bytes > this.maxBytes) return;
		const old = this.entries.get(key);
		if (old) {
			this.entries.delete(key);
			this.bytes -= old.bytes;
		}
		while (this.entries.size > 0 && (this.bytes + bytes > this.maxBytes || this.entries.size >= this.maxEntries)) {
			const [oldest, entry] = this.entries.entries().next().value as [string, Entry<T>];
			this.entries.delete(oldest);
			this.bytes -= entry.bytes;
		}
		this.entries.set(key, { value, at: now, bytes });
		this.bytes += bytes;
	}

	forget(prefix: string): void {
		for (const [key, entry] of this.entries) {
			if (key.startsWith(prefix)) {
				this.entries.delete(key);
				this.bytes -= entry.bytes;
			}
		}
	}
}

/** Keyed "project\nrelease\nfile"; null remembers that there is no index. */
export const indexCache = new Lru<SourceMapIndex | null>(INDEX_BUDGET_BYTES, 10_000, INDEX_TTL_MS);
/** Keyed "project\nlatest\nfile" (a release or null) and "project\nfiles\nrelease" (file names). */
export const lookupCache = new Lru<string | null | string[]>(8 * 1024 * 1024, MAX_LOOKUPS, LOOKUP_TTL_MS);

/** After an upload or delete: this isolate answers from the store again for the project. */
export function forgetProject(project: string): void {
	indexCache.forget(`${project}\n`);
	lookupCache.forget(`${project}\n`);
}
