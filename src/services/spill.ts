import type { Redis } from "@upstash/redis/cloudflare";
import type { Spill, SpilledChunk, SpillStats } from "../context.ts";

const INDEX = "dt:spill"; // sorted set: chunk id scored by spilledAt
const entryKey = (id: string) => `dt:spill:${id}`;
const QUARANTINE = "dt:spill:quarantine";
const LAST_INSERT = "dt:spill:last_insert";
const REPLAY_LEASE = "dt:spill:replay_lease";
/** Chunks held at most; beyond this a chunk is lost (and logged so), rather than exhausting Redis. */
export const SPILL_MAX_CHUNKS = 50_000;
const NOTE_INTERVAL_MS = 5_000;

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
		// Entry before index, in one transaction: replay never sees an id without its rows.
		const tx = this.#redis.multi();
		tx.set(entryKey(chunk.id), JSON.stringify(chunk));
		tx.zadd(INDEX, { score: chunk.spilledAt, member: chunk.id });
		await tx.exec();
	}

	async oldest(limit: number): Promise<SpilledChunk[]> {
		const ids = await this.#redis.zrange<string[]>(INDEX, 0, limit - 1);
		if (ids.length === 0) return [];
		const raw = await this.#redis.mget<(string | null)[]>(...ids.map(entryKey));
		const chunks: SpilledChunk[] = [];
		for (const [i, text] of raw.entries()) {
			if (typeof text === "string") chunks.push(JSON.parse(text) as SpilledChunk);
			else await this.#redis.zrem(INDEX, ids[i] as string); // index without entry: nothing to replay
		}
		return chunks;
	}

	async remove(id: string): Promise<void> {
		const tx = this.#redis.multi();
		tx.zrem(INDEX, id);
		tx.del(entryKey(id));
		await tx.exec();
	}

	async quarantine(chunk: SpilledChunk, reason: string): Promise<void> {
		const tx = this.#redis.multi();
		tx.rpush(QUARANTINE, JSON.stringify({ ...chunk, reason, quarantinedAt: Date.now() }));
		tx.zrem(INDEX, chunk.id);
		tx.del(entryKey(chunk.id));
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
