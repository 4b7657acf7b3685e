import type { Config } from "./config.ts";
import type { WideEvent } from "./http/wide-event.ts";
import type { BudgetStore, LimitAnswer } from "./ratelimit/budget.ts";
import type { SourceMapStore } from "./sourcemaps/store.ts";

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
}

/** Shared cache in front of the key store (Upstash Redis). */
export interface KeyCache {
	/** The cached lookup of a key and the IP's failed lookups of the minute starting at `windowStart` (Unix ms). */
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

export type EventTable = "logs" | "errors" | "spans" | "llm_usage";

export interface InsertOptions {
	/** insert_deduplication_token: the same token never stores a second copy. */
	token?: string;
	/** Abandon the attempt after this long (the server may still complete it; the token makes that safe). */
	timeoutMs?: number;
}

/** The event store (ClickHouse). Rejects when the rows were not stored. */
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

export interface Services {
	keys: ApiKeyStore;
	keyCache: KeyCache;
	limiter: RateLimiter;
	events: EventWriter;
	spill: Spill;
	sourceMaps: SourceMapStore;
	idempotency: IdempotencyLedger;
}

export interface DeliveryOptions {
	/** Total time for attempts before the rows go to the spill; well under the 30 s waitUntil cut. */
	budgetMs: number;
	maxAttemptMs: number;
	baseBackoffMs: number;
	maxBackoffMs: number;
}

/** How rate limits are decided at the edge (README "Rate limits"). */
export interface LimitOptions {
	/** Budgets of this isolate (module scope in production; each test app may have its own, as isolates do). */
	budgets: BudgetStore;
	/** The longest a locally admitted request waits before it is reported to Redis (T). */
	flushMs: number;
	/** How long a request waits for Redis before it goes through (fail open). */
	syncTimeoutMs: number;
}

export interface AppDeps {
	/**
	 * The services for a parsed config. Production builds them once per isolate and config: they hold no I/O
	 * object of any request (every call makes its own fetch), so requests may share them.
	 */
	createServices(config: Config): Services;
	/** The clock of every timestamp the app makes (received_at, key freshness, health); Date.now unless a test sets it. */
	now?(): number;
	delivery?: Partial<DeliveryOptions>;
	limits?: Partial<LimitOptions>;
}

/** A request sent with an Idempotency-Key, as the ledger placed it. */
export interface IdempotentRequest {
	key: string;
	/** The base of its chunks' insert_deduplication_token: project, route, key and body. */
	token: string;
	/** The first attempt's arrival (or now, when the ledger could not be asked). */
	receivedAt: number;
	/** The first attempt's rows are already held: answer without writing. */
	held: boolean;
}

/** AppDeps with its defaults applied, once, by createApp: what routes and middleware are given. */
export type Deps = AppDeps & { now(): number };

export interface AppEnv {
	Bindings: Env;
	Variables: {
		requestId: string;
		config: Config;
		services: Services;
		event: WideEvent;
		apiKey: ApiKeyRecord;
		delivery: DeliveryOptions;
		/** Set only for a request with an Idempotency-Key (src/http/idempotency.ts). */
		idempotency: IdempotentRequest | undefined;
		/** Set when the body text is known to hold no lone-surrogate escape, so its rows need no repair (http/accept.ts). */
		wellFormed: boolean | undefined;
		/** A route's own body limit, set before the ingest gate reads Content-Length (unset: MAX_BODY_BYTES). */
		maxBodyBytes: number | undefined;
		/** The request's Content-Length header as the gate read it (null: none). */
		contentLength: string | null;
		/** This request's response headers (src/http/respond.ts). */
		headers: Record<string, string>;
	};
}
