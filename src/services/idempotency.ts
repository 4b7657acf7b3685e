import type { Redis } from "@upstash/redis/cloudflare";
import type { FirstAttempt, IdempotencyLedger } from "../ports.ts";

/**
 * How long a retry of an idempotent request is recognised, from its first attempt (README, Delivery).
 * ClickHouse's own token window counts inserts, not time, so the ledger is what makes this a promise.
 */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60;

const ledgerKey = (token: string) => `dt:idem:${token}`;
const HELD = ":held";

/** The ledger's value: the first attempt's Unix ms, with ":held" once its rows are stored or spilled. */
function parse(value: string): FirstAttempt | undefined {
	const held = value.endsWith(HELD);
	const receivedAt = Number(held ? value.slice(0, -HELD.length) : value);
	return Number.isSafeInteger(receivedAt) ? { receivedAt, held } : undefined;
}

export class RedisIdempotencyLedger implements IdempotencyLedger {
	readonly #redis: Redis;
	constructor(redis: Redis) {
		this.#redis = redis;
	}

	async claim(token: string, receivedAt: number): Promise<FirstAttempt> {
		// One round trip: SET NX records this attempt when it is the first, GET answers the first otherwise.
		const previous = await this.#redis.set<string>(ledgerKey(token), String(receivedAt), {
			nx: true,
			get: true,
			ex: IDEMPOTENCY_WINDOW_SECONDS,
		});
		const first = typeof previous === "string" ? parse(previous) : undefined;
		return first ?? { receivedAt, held: false };
	}

	async markHeld(token: string, receivedAt: number): Promise<void> {
		// XX and KEEPTTL: the window still runs from the first attempt, and an expired entry stays expired.
		await this.#redis.set(ledgerKey(token), `${receivedAt}${HELD}`, { xx: true, keepTtl: true });
	}
}
