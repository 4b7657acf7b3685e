import type { Redis } from "@upstash/redis/cloudflare";
import type { Spill, SpilledChunk, SpilledChunkRef, SpillStats } from "../ports.ts";

const INDEX = "dt:spill"; // sorted set: chunk id scored by spilledAt
const QUARANTINE = "dt:spill:quarantine"; // sorted set: ids ClickHouse refused for their content
const entryKey = (id: string) => `dt:spill:${id}`;
const partKey = (id: string, i: number) => `dt:spill:${id}:${i}`;
const LAST_INSERT = "dt:spill:last_insert";
const REPLAY_LEASE = "dt:spill:replay_lease";
/** Chunks held at most; beyond this a chunk is lost (and logged so), rather than exhausting Redis. */
export const SPILL_MAX_CHUNKS = 50_000;
/**
 * Characters of row JSON per Redis value. A chunk can be megabytes (1,000 rows of a 5 MB body) and Upstash bounds
 * the size of one request by plan (1 MB on the free tier): rows go in parts of at most this many characters
 * (≤ 768 KB as escaped UTF-8), each its own request, and are read back one part at a time.
 */
export const SPILL_PART_CHARS = 128 * 1024;
const NOTE_INTERVAL_MS = 5_000;

interface EntryMeta extends SpilledChunkRef {
	parts: number;
}

// Isolate-lifetime: last time this isolate recorded a confirmed insert, to write that at most every few seconds.
let lastNoted = 0;

export class SpillFullError extends Error {
	constructor() {
		super(`spill holds ${SPILL_MAX_CHUNKS} chunks`);
		this.name = "SpillFullError";
	}
}

export class RedisSpill implements Spill {
	readonly #redis: Redis;
	constructor(redis: Redis) {
		this.#redis = redis;
	}

	async put(chunk: SpilledChunk): Promise<void> {
		const depth = await this.#redis.zcard(INDEX);
		if (depth >= SPILL_MAX_CHUNKS) throw new SpillFullError();
		const { rows, ...ref } = chunk;
		const text = JSON.stringify(rows);
		const parts = Math.max(1, Math.ceil(text.length / SPILL_PART_CHARS));
		// One request per part (awaited in turn, so auto-pipelining cannot merge them into one large request).
		for (let i = 0; i < parts; i++) {
			await this.#redis.set(partKey(chunk.id, i), text.slice(i * SPILL_PART_CHARS, (i + 1) * SPILL_PART_CHARS));
		}
		// The index last, with the entry, in one transaction: replay never sees an id whose parts are not all there.
		const meta: EntryMeta = { ...ref, parts };
		const tx = this.#redis.multi();
		tx.set(entryKey(chunk.id), JSON.stringify(meta));
		tx.zadd(INDEX, { score: chunk.spilledAt, member: chunk.id });
		await tx.exec();
	}

	async oldest(limit: number): Promise<SpilledChunkRef[]> {
		const ids = await this.#redis.zrange<string[]>(INDEX, 0, limit - 1);
		if (ids.length === 0) return [];
		const raw = await this.#redis.mget<(string | null)[]>(...ids.map(entryKey));
		const refs: SpilledChunkRef[] = [];
		for (const [i, text] of raw.entries()) {
			if (typeof text === "string") refs.push(JSON.parse(text) as EntryMeta);
			else await this.#redis.zrem(INDEX, ids[i] as string); // index without entry: nothing to replay
		}
		return refs;
	}

	async rows(chunk: SpilledChunkRef): Promise<object[] | null> {
		const { parts } = chunk as EntryMeta;
		let text = "";
		for (let i = 0; i < parts; i++) {
			const part = await this.#redis.get<string>(partKey(chunk.id, i));
			if (typeof part !== "string") return null;
			text += part;
		}
		return JSON.parse(text) as object[];
	}

	async remove(id: string): Promise<void> {
		const meta = await this.#redis.get<string>(entryKey(id));
		const parts = typeof meta === "string" ? (JSON.parse(meta) as EntryMeta).parts : 0;
		const tx = this.#redis.multi();
		tx.zrem(INDEX, id);
		tx.del(entryKey(id), ...Array.from({ length: parts }, (_, i) => partKey(id, i)));
		await tx.exec();
	}

	/** Keeps the entry and its rows, under the quarantine index instead of the replay index. */
	async quarantine(chunk: SpilledChunkRef, reason: string): Promise<void> {
		const tx = this.#redis.multi();
		tx.zrem(INDEX, chunk.id);
		tx.zadd(QUARANTINE, { score: Date.now(), member: chunk.id });
		tx.set(`${entryKey(chunk.id)}:reason`, reason);
		await tx.exec();
	}

	async stats(): Promise<SpillStats> {
		const [depth, oldest, last] = await Promise.all([
			this.#redis.zcard(INDEX),
			this.#redis.zrange<(string | number)[]>(INDEX, 0, 0, { withScores: true }),
			this.#redis.get<string>(LAST_INSERT),
		]);
		return {
			depth,
			oldestAt: oldest.length >= 2 ? Number(oldest[1]) : null,
			lastInsertAt: last === null || last === undefined ? null : Number(last),
		};
	}

	async noteInsert(at: number): Promise<void> {
		if (at - lastNoted < NOTE_INTERVAL_MS) return;
		lastNoted = at;
		await this.#redis.set(LAST_INSERT, String(at));
	}

	async claimReplay(ttlSeconds: number): Promise<boolean> {
		return (await this.#redis.set(REPLAY_LEASE, "1", { nx: true, ex: ttlSeconds })) === "OK";
	}

	async releaseReplay(): Promise<void> {
		await this.#redis.del(REPLAY_LEASE);
	}
}
