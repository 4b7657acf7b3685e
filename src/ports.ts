import type { LimitAnswer } from "./ratelimit/budget.ts";

// The ports: every record that crosses a store boundary and every store interface. The worker reaches a store
// only through these (services/ implements them; tests swap them through createApp(deps)). This file imports
// nothing but the rate limiter's answer type: it is the bottom of the import graph (test/dev/layers.test.ts).

/** What authentication learned from the key: identity always comes from here, never from the body. */
export interface ApiKeyRecord {
	id: string;
	projectId: string;
	projectName: string;
	allowedOrigins: string[];
	/** Requests per minute; null means the configured default. */
	rateLimit: number | null;
	/** Unix ms; null when the key does not expire. */
	expiresAt: number | null;
	revokedAt: number | null;
	drainSecret: string | null;
	vercelVerify: string | null;
}

/** System of record for keys (Neon Postgres). */
export interface ApiKeyStore {
	findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
	touchLastUsed(keyId: string): Promise<void>;
	ping(): Promise<void>;
}

/** A key lookup result as cached: `record` null is a cached miss; `fetchedAt` (Unix ms) is when the key store answered. */
export interface CachedKey {
	record: ApiKeyRecord | null;
	fetchedAt: number;
}

/** What one read of the shared cache tells about a key and its client, in one round trip. */
export interface SharedLookup {
	entry: CachedKey | undefined;
	/** Failed key lookups from the client's IP in the current minute. */
	failures: number;
	/** Those of the minute before (the failure count is read as a sliding window: src/auth/abuse.ts). */
	previousFailures: number;
}

/** Shared cache in front of the key store (Upstash Redis). */
export interface KeyCache {
	/** The cached lookup of a key and the IP's failed lookups of the minute starting at `windowStart` (Unix ms) and the one before. */
	lookup(keyHash: string, ip: string, windowStart: number): Promise<SharedLookup>;
	set(keyHash: string, entry: CachedKey): Promise<void>;
	/** Claims the once-a-minute slot for recording last_used_at; false when another request already has it. */
	claimTouch(keyId: string): Promise<boolean>;
	recordAuthFailure(ip: string, windowStart: number): Promise<void>;
	ping(): Promise<void>;
}

/** The shared count of a key's requests (@upstash/ratelimit's sliding window in Redis). */
export interface RateLimiter {
	/** Adds `rate` requests to the identifier's count of the last minute; rejects when Redis could not be asked. */
	limit(identifier: string, perMinute: number, rate: number): Promise<LimitAnswer>;
}

/** The ClickHouse tables rows go to (migrations/clickhouse/). */
export const EVENT_TABLES = ["logs", "errors", "spans", "llm_usage", "web_vitals", "web_events"] as const;
export type EventTable = (typeof EVENT_TABLES)[number];

export interface InsertOptions {
	/** insert_deduplication_token: the same token never stores a second copy. */
	token?: string;
	/** Abandon the attempt after this long (the server may still complete it; the token makes that safe). */
	timeoutMs?: number;
}

/**
 * Why an insert failed, as delivery acts on it. transient: retry within the budget, then spill. data: the rows are
 * at fault (retrying cannot help): split to isolate them. persistent: the store refuses for a reason a retry will
 * not fix now (auth, schema): spill at once for replay.
 */
export type InsertFailure = "transient" | "data" | "persistent";

/** What an EventWriter rejects with when it knows why (anything else is taken as transient). */
export class InsertError extends Error {
	readonly kind: InsertFailure;
	constructor(kind: InsertFailure, message: string) {
		super(message);
		this.name = "InsertError";
		this.kind = kind;
	}
}

/** The event store (ClickHouse). Rejects when the rows were not stored, with an InsertError when it knows why. */
export interface EventWriter {
	insert(table: EventTable, rows: readonly object[], opts?: InsertOptions): Promise<void>;
	ping(): Promise<void>;
}

/** A chunk that could not be written within the budget, kept for replay. */
export interface SpilledChunk {
	id: string;
	table: EventTable;
	token: string;
	rows: object[];
	requestId: string;
	spilledAt: number;
}

/** A spilled chunk without its rows (read one at a time, as a chunk can hold megabytes). */
export type SpilledChunkRef = Omit<SpilledChunk, "rows">;

export interface SpillStats {
	depth: number;
	/** Unix ms of the oldest entry, null when empty. */
	oldestAt: number | null;
	/** Unix ms of the last insert ClickHouse confirmed (recorded at most every few seconds), null when unknown. */
	lastInsertAt: number | null;
}

/** Durable holding area for chunks ClickHouse did not take (Upstash Redis). */
export interface Spill {
	/** Rejects when the spill is full or unreachable. */
	put(chunk: SpilledChunk): Promise<void>;
	oldest(limit: number): Promise<SpilledChunkRef[]>;
	rows(chunk: SpilledChunkRef): Promise<object[] | null>;
	remove(id: string): Promise<void>;
	/** Moves a chunk ClickHouse refuses for its content out of the replay queue, for an operator to inspect. */
	quarantine(chunk: SpilledChunkRef, reason: string): Promise<void>;
	stats(): Promise<SpillStats>;
	noteInsert(at: number): Promise<void>;
	/** A short lease so that only one replay runs at a time. */
	claimReplay(ttlSeconds: number): Promise<boolean>;
	releaseReplay(): Promise<void>;
}

/** What the ledger knows of an idempotent request's first attempt. */
export interface FirstAttempt {
	/** Unix ms the first attempt was received: every attempt's rows carry it (and so land in its partition). */
	receivedAt: number;
	/** True once the first attempt's rows were stored or spilled: a retry then writes nothing. */
	held: boolean;
}

/** Remembers idempotent requests for IDEMPOTENCY_WINDOW_SECONDS (Upstash Redis); only requests with an Idempotency-Key use it. */
export interface IdempotencyLedger {
	/** Records this attempt unless one came first; answers the first attempt (this one when it is the first). */
	claim(token: string, receivedAt: number): Promise<FirstAttempt>;
	/** Notes that the rows of `token` are held (stored, or spilled for replay). */
	markHeld(token: string, receivedAt: number): Promise<void>;
}

/**
 * One price of a model family: USD per 1M tokens, in effect from `effectiveFrom` until the family's next row (so a
 * change announced for a date is a row of its own, and past prices stay in the table).
 */
export interface ModelPrice {
	/**
	 * Who bills: the model's vendor (openai, anthropic, google, mistral, deepseek, xai), or the host of an open-weight
	 * model that sets its own price (groq, together).
	 */
	provider: string;
	family: string;
	/** Unix ms. */
	effectiveFrom: number;
	input: number;
	output: number;
	/** Cache reads; null when the provider gives them no price of their own (billed as input). */
	cachedInput: number | null;
	/** Cache writes; null when the provider charges nothing extra for them (billed as input). */
	cacheWrite: number | null;
}

/** The price table as the worker reads it: each family's row in effect and those scheduled after it. */
export interface PriceList {
	/** The table's revision (it changes with every change of a price): what llm_usage.price_version records. */
	version: string;
	prices: ModelPrice[];
}

/** System of record for prices (Neon Postgres). */
export interface PriceStore {
	/** The rows in effect at `at` (Unix ms) or later. */
	list(at: number): Promise<PriceList>;
}

/** A price list as cached: `fetchedAt` (Unix ms) is when the price store answered. */
export interface CachedPrices {
	list: PriceList;
	fetchedAt: number;
}

/** Shared cache in front of the price store (Upstash Redis): one entry, the whole list. */
export interface PriceCache {
	get(): Promise<CachedPrices | undefined>;
	set(entry: CachedPrices): Promise<void>;
}

export interface Services {
	keys: ApiKeyStore;
	keyCache: KeyCache;
	limiter: RateLimiter;
	events: EventWriter;
	spill: Spill;
	sourceMaps: SourceMapStore;
	idempotency: IdempotencyLedger;
	prices: PriceStore;
	priceCache: PriceCache;
}

/** Which stored map: the project (from the key), the release and the normalised file name, and who uploaded it. */
export interface MapName {
	project: string;
	release: string;
	/** Normalised name, relative to the build folder (src/sourcemaps/names.ts). */
	file: string;
	keyId: string;
	uploadedAt: number;
}

/** A map as uploaded, in the pieces the request delivered it in (never joined: a part is held once). */
export interface UploadedMap extends MapName {
	/** The store lets go of each piece once written (it may empty the array): nothing else holds them. */
	chunks: Uint8Array[];
	bytes: number;
}

/** What SourceMapStore.index answers when `afford` refused the index's size: it was left unread. */
export const OVER_BUDGET = "over_budget";

/** The lookup index built from an uploaded map (src/sourcemaps/index-format.ts). */
export interface MapIndex extends MapName {
	index: Uint8Array<ArrayBuffer>;
}

/** Where uploaded source maps live (R2). Every method takes the project from the API key, never from the client. */
export interface SourceMapStore {
	/** Records that the project uploads maps (before its first one is stored). */
	markProject(project: string): Promise<void>;
	/** Whether the project has ever uploaded a map: false spares an error every per-frame lookup. */
	hasMaps(project: string): Promise<boolean>;
	/** Stores the map as uploaded. Lookups do not see it until its index is published. */
	putMap(map: UploadedMap): Promise<void>;
	/** Stores the index, then points the file name at its release: a reader that finds the pointer finds the index. */
	publishIndex(index: MapIndex): Promise<void>;
	/** Removes every map of the release; the number of objects removed (0 is not an error). */
	deleteRelease(project: string, release: string): Promise<number>;
	/** The file names uploaded under the release (bounded: MAX_RELEASE_FILES). */
	releaseFiles(project: string, release: string): Promise<string[]>;
	/** The release that last uploaded this file name, or null. */
	latestRelease(project: string, file: string): Promise<string | null>;
	/** The lookup index of one map, or null when there is none (or it is larger than an isolate may cache). */
	index(
		project: string,
		release: string,
		file: string,
		afford?: (bytes: number) => boolean,
	): Promise<ArrayBuffer | null | typeof OVER_BUDGET>;
}

/**
 * The part of an R2 bucket binding used here, written out so that dev tooling and the bench (plain Node, no
 * Workers types) type-check the worker's sources too; an R2Bucket is one.
 */
export interface SourceMapBucket {
	put(
		key: string,
		value: ArrayBuffer | ArrayBufferView | string | ReadableStream<Uint8Array> | Blob,
		options?: { httpMetadata?: { contentType?: string }; customMetadata?: Record<string, string> },
	): Promise<unknown>;
	get(key: string): Promise<{
		size: number;
		body: ReadableStream<Uint8Array>;
		text(): Promise<string>;
		arrayBuffer(): Promise<ArrayBuffer>;
	} | null>;
	head(key: string): Promise<{ customMetadata?: Record<string, string> } | null>;
	delete(keys: string | string[]): Promise<void>;
	list(options: {
		prefix: string;
		limit: number;
		cursor?: string;
	}): Promise<{ objects: { key: string }[]; truncated: boolean; cursor?: string }>;
}
