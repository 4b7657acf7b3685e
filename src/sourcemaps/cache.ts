import { INDEX_BUDGET_BYTES, type SourceMapIndex } from "./index-format.ts";

/**
 * Isolate-lifetime memory of source map lookups: decoded indexes in an LRU bounded by bytes, and the small
 * answers (which release last uploaded a file, which files a release has) bounded by count. Only decoded data is
 * shared across requests, never a promise (Workers forbid awaiting another request's I/O); loads are
 * single-flight within a request (src/sourcemaps/resolve.ts).
 *
 * Entries expire, so an isolate sees another isolate's upload or delete within LOOKUP_TTL_MS; uploads and
 * deletes through this isolate forget the project at once.
 */
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
	/** Whether a hit makes the entry the most recent (an LRU); otherwise entries leave in insertion order. */
	private readonly touch: boolean;
	constructor(maxBytes: number, maxEntries: number, ttlMs: number, touch: boolean) {
		this.maxBytes = maxBytes;
		this.maxEntries = maxEntries;
		this.ttlMs = ttlMs;
		this.touch = touch;
	}

	get(key: string, now: number): T | undefined {
		const entry = this.entries.get(key);
		if (entry === undefined) return undefined;
		if (now - entry.at > this.ttlMs) {
			this.entries.delete(key);
			this.bytes -= entry.bytes;
			return undefined;
		}
		if (this.touch) {
			this.entries.delete(key);
			this.entries.set(key, entry); // most recently used last
		}
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
export const indexCache = new Lru<SourceMapIndex | null>(INDEX_BUDGET_BYTES, 10_000, INDEX_TTL_MS, true);
/** Keyed "project\nlatest\nfile" (a release or null) and "project\nfiles\nrelease" (file names). */
// Short-lived answers: first in, first out (their TTL renews them anyway), so a hit costs one Map lookup.
export const lookupCache = new Lru<string | null | string[] | boolean>(
	8 * 1024 * 1024,
	MAX_LOOKUPS,
	LOOKUP_TTL_MS,
	false,
);

/**
 * Whole stacks already resolved (or found to have no map), keyed by the stack text: an error seen once is
 * usually seen again, and looking it up costs one hash of the text instead of a lookup per frame.
 */
export interface ResolvedMemo {
	project: string;
	release: string;
	text: string;
	/** What resolving found (never `failed`: a store failure is asked again). */
	status: "none" | "resolved" | "too_large";
	at: number;
}
const MEMO_MAX_ENTRIES = 1000;
const MEMO_MAX_CHARS = 4 * 1024 * 1024;
const memo = new Map<string, ResolvedMemo>();
let memoChars = 0;

export function recalled(stack: string, project: string, release: string, now: number): ResolvedMemo | undefined {
	const m = memo.get(stack);
	return m && m.project === project && m.release === release && now - m.at <= LOOKUP_TTL_MS ? m : undefined;
}

export function remember(stack: string, entry: ResolvedMemo): void {
	const chars = stack.length + (entry.status === "resolved" ? entry.text.length : 0);
	if (memo.size >= MEMO_MAX_ENTRIES || memoChars + chars > MEMO_MAX_CHARS) {
		memo.clear();
		memoChars = 0;
	}
	memo.set(stack, entry);
	memoChars += chars;
}

/** After an upload or delete: this isolate answers from the store again for the project. */
export function forgetProject(project: string): void {
	indexCache.forget(`${project}\n`);
	lookupCache.forget(`${project}\n`);
	memo.clear(); // rare (uploads), and cheaper than finding the project's entries
	memoChars = 0;
}
