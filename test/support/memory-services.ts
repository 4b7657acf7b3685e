import seed from "../../migrations/model_prices.json" with { type: "json" };
import {
	type ApiKeyRecord,
	type CachedKey,
	type CachedPrices,
	EVENT_TABLES,
	type EventTable,
	type FirstAttempt,
	type ModelPrice,
	OVER_BUDGET,
	type Services,
	type SourceMapStore,
	type SpilledChunk,
	type SpillStats,
	type UploadedMap,
} from "../../src/ports.ts";
import type { LimitAnswer } from "../../src/ratelimit/budget.ts";
import { sha256Hex } from "../../src/util/hex.ts";

/** A map as the store holds it: its index empty until published. */
type StoredMap = UploadedMap & { index: Uint8Array };

// Every store behind its port, in memory: the route tier (test/routes/) and the bench run the real createApp over
// these, with no engine. Faithful to the ports' contracts (a cache entry is what the key store said, a limiter count
// moves with every call, the ledger answers the first attempt), never to a vendor's wire protocol: what the engines
// do is test/worker/'s and test/stack/'s to show.

export interface MemoryOptions {
	/** Every key hash is this key (the bench: no lookup can miss). */
	anyKey?: ApiKeyRecord;
	/** Keep the rows inserted (tests read them); the bench drops them so a long run holds no memory. */
	keepRows?: boolean;
	/** The limiter admits everything (the bench sends far more than a key's limit). */
	unlimited?: boolean;
	/** The price table; the seeded one (migrations/model_prices.json) unless given. */
	prices?: ModelPrice[];
}

export interface MemoryServices {
	services: Services;
	/** Rows written, by table (with keepRows). */
	inserted: Record<EventTable, object[]>;
	/** Calls made, by port and method ("limiter.limit", "events.insert", ...). */
	calls: Map<string, number>;
	/** Stores a key the way `npm run keys -- create` does: the record under the key's hash; answers the plaintext. */
	addKey(record?: Partial<ApiKeyRecord>): Promise<{ key: string; record: ApiKeyRecord }>;
	/** Ports that reject every call from now on (an unreachable store). */
	down: Set<keyof Services>;
	/** The price table the price store answers with (change it, and its version, as the CLI would). */
	prices: { version: string; prices: ModelPrice[] };
}

/** The seeded table as the price store reads it (a date alone starts at midnight UTC, as in Postgres). */
export const SEEDED_PRICES: ModelPrice[] = seed.map((r) => ({
	provider: r.provider,
	family: r.family,
	effectiveFrom: Date.parse(r.effective.length === 10 ? `${r.effective}T00:00:00Z` : r.effective),
	input: r.input,
	output: r.output,
	cachedInput: r.cached_input,
	cacheWrite: r.cache_write,
}));

const WINDOW_MS = 60_000;
let keys = 0;

export function memoryServices(options: MemoryOptions = {}): MemoryServices {
	const records = new Map<string, ApiKeyRecord>();
	const cache = new Map<string, CachedKey>();
	const counts = new Map<string, { window: number; used: number }>();
	const ledger = new Map<string, FirstAttempt>();
	const maps = new Map<string, StoredMap>();
	const spilled: SpilledChunk[] = [];
	const inserted = Object.fromEntries(EVENT_TABLES.map((t) => [t, []])) as unknown as Record<EventTable, object[]>;
	const calls = new Map<string, number>();
	const down = new Set<keyof Services>();
	const keep = options.keepRows ?? true;
	const prices = { version: "1", prices: options.prices ?? SEEDED_PRICES };
	let cachedPrices: CachedPrices | undefined;

	/** Counts the call; rejects as an unreachable store would when the port is down. */
	const call = (port: keyof Services, method: string) => {
		const name = `${port}.${method}`;
		calls.set(name, (calls.get(name) ?? 0) + 1);
		if (down.has(port)) throw new Error(`${port} is unreachable`);
	};
	const record = (hash: string) => options.anyKey ?? records.get(hash) ?? null;

	const sourceMaps: SourceMapStore = {
		async markProject(project) {
			call("sourceMaps", "markProject");
			maps.set(`p/${project}`, undefined as unknown as StoredMap);
		},
		async hasMaps(project) {
			call("sourceMaps", "hasMaps");
			return maps.has(`p/${project}`);
		},
		async putMap(m) {
			call("sourceMaps", "putMap");
			maps.set(`m/${m.project}/${m.release}/${m.file}`, { ...m, index: new Uint8Array(0) });
		},
		async publishIndex(m) {
			call("sourceMaps", "publishIndex");
			const stored = maps.get(`m/${m.project}/${m.release}/${m.file}`);
			if (stored) stored.index = m.index;
			maps.set(`u/${m.project}/${m.file}`, stored ?? { ...m, chunks: [], bytes: 0 });
		},
		async deleteRelease(project, release) {
			call("sourceMaps", "deleteRelease");
			let n = 0;
			for (const k of [...maps.keys()])
				if (k.startsWith(`m/${project}/${release}/`)) {
					maps.delete(k);
					n++;
				}
			return n;
		},
		async releaseFiles(project, release) {
			call("sourceMaps", "releaseFiles");
			const prefix = `m/${project}/${release}/`;
			return [...maps]
				.filter(([k, m]) => k.startsWith(prefix) && m.index.byteLength > 0)
				.map(([k]) => k.slice(prefix.length));
		},
		async latestRelease(project, file) {
			call("sourceMaps", "latestRelease");
			return maps.get(`u/${project}/${file}`)?.release ?? null;
		},
		async index(project, release, file, afford) {
			call("sourceMaps", "index");
			const m = maps.get(`m/${project}/${release}/${file}`);
			if (!m || m.index.byteLength === 0) return null;
			return afford && !afford(m.index.byteLength) ? OVER_BUDGET : m.index.slice().buffer;
		},
	};

	const services: Services = {
		keys: {
			async findByHash(hash) {
				call("keys", "findByHash");
				return record(hash);
			},
			async touchLastUsed() {
				call("keys", "touchLastUsed");
			},
			async ping() {
				call("keys", "ping");
			},
		},
		keyCache: {
			async lookup(hash) {
				call("keyCache", "lookup");
				const entry = options.anyKey ? { record: options.anyKey, fetchedAt: Date.now() } : cache.get(hash);
				return { entry, failures: 0, previousFailures: 0 };
			},
			async set(hash, entry) {
				call("keyCache", "set");
				cache.set(hash, entry);
			},
			async claimTouch() {
				call("keyCache", "claimTouch");
				return true;
			},
			async recordAuthFailure() {
				call("keyCache", "recordAuthFailure");
			},
			async ping() {
				call("keyCache", "ping");
			},
		},
		limiter: {
			// A fixed window per identifier: enough for the gate's behaviour (the sliding window is @upstash/ratelimit's).
			async limit(id, perMinute, rate): Promise<LimitAnswer> {
				call("limiter", "limit");
				const window = Math.floor(Date.now() / WINDOW_MS);
				const count = counts.get(id);
				const c = count && count.window === window ? count : { window, used: 0 };
				counts.set(id, c);
				// As the library's script: a batch that crosses the limit is counted and refused; one sent once the limit
				// is reached is not counted.
				if (options.unlimited)
					return { success: true, limit: perMinute, remaining: perMinute - rate, reset: (window + 1) * WINDOW_MS };
				const reached = c.used >= perMinute;
				if (!reached) c.used += rate;
				const success = !reached && c.used <= perMinute;
				const reset = (window + 1) * WINDOW_MS;
				return { success, limit: perMinute, remaining: Math.max(0, perMinute - c.used), reset };
			},
		},
		events: {
			async insert(table, rows) {
				call("events", "insert");
				if (keep) inserted[table].push(...rows);
			},
			async ping() {
				call("events", "ping");
			},
		},
		spill: {
			async put(chunk) {
				call("spill", "put");
				spilled.push(chunk);
			},
			async oldest(limit) {
				call("spill", "oldest");
				return spilled.slice(0, limit).map(({ rows: _, ...ref }) => ref);
			},
			async rows(chunk) {
				call("spill", "rows");
				return spilled.find((s) => s.id === chunk.id)?.rows ?? null;
			},
			async remove(id) {
				call("spill", "remove");
				const at = spilled.findIndex((s) => s.id === id);
				if (at >= 0) spilled.splice(at, 1);
			},
			async quarantine() {
				call("spill", "quarantine");
			},
			async stats(): Promise<SpillStats> {
				call("spill", "stats");
				return { depth: spilled.length, oldestAt: spilled[0]?.spilledAt ?? null, lastInsertAt: null };
			},
			async noteInsert() {
				call("spill", "noteInsert");
			},
			async claimReplay() {
				call("spill", "claimReplay");
				return true;
			},
			async releaseReplay() {
				call("spill", "releaseReplay");
			},
		},
		sourceMaps,
		idempotency: {
			async claim(token, receivedAt) {
				call("idempotency", "claim");
				const first = ledger.get(token);
				if (first) return first;
				ledger.set(token, { receivedAt, held: false });
				return { receivedAt, held: false };
			},
			async markHeld(token, receivedAt) {
				call("idempotency", "markHeld");
				if (ledger.has(token)) ledger.set(token, { receivedAt, held: true });
			},
		},
		prices: {
			async list(at) {
				call("prices", "list");
				// As the store: each family's row in effect at `at` and those after it.
				const latest = new Map<string, number>();
				for (const p of prices.prices) {
					const key = `${p.provider}/${p.family}`;
					if (p.effectiveFrom <= at && p.effectiveFrom > (latest.get(key) ?? -Infinity))
						latest.set(key, p.effectiveFrom);
				}
				return {
					version: prices.version,
					prices: prices.prices.filter(
						(p) => p.effectiveFrom >= (latest.get(`${p.provider}/${p.family}`) ?? -Infinity),
					),
				};
			},
		},
		priceCache: {
			async get() {
				call("priceCache", "get");
				return cachedPrices;
			},
			async set(entry) {
				call("priceCache", "set");
				cachedPrices = entry;
			},
		},
	};

	return {
		services,
		inserted,
		calls,
		down,
		prices,
		async addKey(fields = {}) {
			const key = `dt_memory${String(++keys).padStart(8, "0")}${crypto.randomUUID().replaceAll("-", "")}`;
			const rec = keyRecord({ id: crypto.randomUUID(), projectId: crypto.randomUUID(), ...fields });
			records.set(await sha256Hex(key), rec);
			return { key, record: rec };
		},
	};
}

/** A key's record with nothing set beyond what is given: no origins, limit, expiry, revocation or drain secret. */
export function keyRecord(fields: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
	return {
		id: "00000000-0000-4000-8000-000000000000",
		projectId: "00000000-0000-4000-8000-000000000001",
		projectName: "memory",
		allowedOrigins: [],
		rateLimit: null,
		expiresAt: null,
		revokedAt: null,
		drainSecret: null,
		vercelVerify: null,
		...fields,
	};
}
