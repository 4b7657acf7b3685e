import type { Config } from "./config.ts";
import type { WideEvent } from "./http/wide-event.ts";

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

/** Shared cache in front of the key store (Upstash Redis). */
export interface KeyCache {
	get(keyHash: string): Promise<CachedKey | undefined>;
	set(keyHash: string, entry: CachedKey): Promise<void>;
	/** Claims the once-a-minute slot for recording last_used_at; false when another request already has it. */
	claimTouch(keyId: string): Promise<boolean>;
	ping(): Promise<void>;
}

export interface RateLimitDecision {
	success: boolean;
	limit: number;
	remaining: number;
	/** Unix ms when the window resets. */
	reset: number;
	/** Set when the limiter could not decide and let the request through. */
	failedOpen: boolean;
}

export interface RateLimiter {
	limit(identifier: string, perMinute: number): Promise<RateLimitDecision>;
}

export type EventTable = "logs" | "errors" | "spans" | "llm_usage";

/** The event store (ClickHouse). Rejects when the rows were not stored. */
export interface EventWriter {
	insert(table: EventTable, rows: readonly object[]): Promise<void>;
	ping(): Promise<void>;
}

export interface Services {
	keys: ApiKeyStore;
	keyCache: KeyCache;
	limiter: RateLimiter;
	events: EventWriter;
}

export interface AppDeps {
	/** Builds the request's services from the parsed config (per request: Workers forbid sharing I/O across requests). */
	services(config: Config): Services;
	now?(): number;
}

export interface AppEnv {
	Bindings: Env;
	Variables: {
		requestId: string;
		config: Config;
		services: Services;
		event: WideEvent;
		apiKey: ApiKeyRecord;
	};
}
