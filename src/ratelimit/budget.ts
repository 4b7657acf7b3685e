/**
 * One key's rate-limit budget in this isolate: the state machine of docs/design/edge-latency.md (a local
 * budget per isolate). Plain numbers only, no I/O and no promises: an isolate's requests share it, and a request must never
 * await what another request started (Workers). The shared count stays @upstash/ratelimit's sliding window in
 * Redis; this decides from the last answer and reports what it admitted in batches.
 *
 * Over-admission bound (L limit, I isolates, U cap, B batch, T flush interval, r store round trip, λᵢ one
 * isolate's request rate): admitted − L ≤ B + Σᵢ min(U, min(B, λᵢ·T) + λᵢ·r) ≤ B + I·U. It holds whatever Redis
 * does, because no path (local, failing open after a failure, a stall or a timeout) lets an isolate hold more than U
 * admissions of a key that Redis has not answered for; past that, while Redis cannot be asked, the answer is 503.
 */

/** An answer of the shared count (the library's `limit()` result). `reset` is Unix ms. */
export interface LimitAnswer {
	success: boolean;
	limit: number;
	remaining: number;
	reset: number;
}

export interface BudgetKnobs {
	/** U: at most this many admissions unreported (unsent + in flight) before a request waits for Redis. */
	cap: number;
	/** B: report at once when this many are unsent. */
	batch: number;
}

/** U = max(10, ⌈1% of L⌉), B = ⌈U/5⌉ (the design's suggestion). */
export function knobsFor(limit: number): BudgetKnobs {
	const cap = Math.max(10, Math.ceil(limit / 100));
	return { cap, batch: Math.ceil(cap / 5) };
}

/** After a failed or timed-out call, requests fail open at once (no 300 ms wait) for this long. */
export const FAIL_OPEN_HOLD_MS = 5_000;

/**
 * What a request must do: answer 429, go through on the local budget, ask Redis, wait for the call in flight, go
 * through uncounted by Redis (it failed lately), or, when that allowance is used up too, answer 503 (retry).
 */
export type Verdict = "blocked" | "admit" | "sync" | "wait" | "fail_open" | "unavailable";

/** A call to the shared count: `rate` admissions reported in one `limit(id, { rate })`, `seq` its order. */
export interface Call {
	seq: number;
	rate: number;
}

export interface View {
	limit: number;
	remaining: number;
	/** Unix ms. */
	reset: number;
}

const WINDOW_MS = 60_000;
const windowOf = (ms: number) => Math.floor(ms / WINDOW_MS);

export class Budget {
	limit: number;
	knobs: BudgetKnobs;
	/** Whether an answer has been applied (before it, nothing is known but the limit). */
	known = false;
	/** The shared count as of the last answer (what the limit moves against). */
	used = 0;
	reset = 0;
	/** Admitted here, not yet sent. */
	unsent = 0;
	/** Sent in a call not yet answered. */
	inFlight = 0;
	blockedUntil = 0;
	/** A request is waiting on a call (single flight: others wait for its answer instead of calling too). */
	syncing = false;
	/** The call `syncing` is about: an older sync's late answer must not end a newer one's single flight. */
	#syncSeq = 0;
	/** A flush is scheduled (one timer per budget). */
	timerArmed = false;
	/** A batch's report is scheduled to go out after the response (one at a time). */
	flushQueued = false;
	failOpenUntil = 0;
	#sent = 0;
	#applied = 0;
	/** Unix ms of the latest admission counted in `unsent` (all of them belong to its window or an older one). */
	#admittedAt = 0;
	/** Redis's latest word on a call was a failure (no answer came since): it is down, as far as this isolate knows. */
	#failing = false;

	constructor(limit: number) {
		this.limit = limit;
		this.knobs = knobsFor(limit);
	}

	/**
	 * Failing open is bounded like everything else: whatever Redis does (slow, stalled, down), this isolate never holds
	 * more than U admissions of the key that Redis has not answered for, so its share of the over-admission stays U.
	 * The allowance renews with each 60 s window (unsent admissions of a window that has ended no longer count against
	 * the limit, and reporting them later would charge the wrong window): a Redis outage lets a key through at U a
	 * window per isolate, never everything and never nothing.
	 */
	verdict(now: number): Verdict {
		this.#forgetPast(now);
		if (this.blockedUntil > now) return "blocked";
		if (this.known && this.pending < Math.min(this.knobs.cap, this.remaining)) return "admit";
		if (now < this.failOpenUntil) return this.pending < this.knobs.cap ? "fail_open" : "unavailable";
		return this.syncing ? "wait" : "sync";
	}

	/**
	 * Unsent admissions of a window that has ended: two windows on, the sliding window holds none of them (reporting
	 * them would charge the wrong window); one window on, while Redis is failing, they are let go too, so that the
	 * allowance renews. Verdicts precede admissions: at a new window's first request, every unsent one is older.
	 */
	#forgetPast(now: number): void {
		if (this.unsent === 0) return;
		const gap = windowOf(now) - windowOf(this.#admittedAt);
		if (gap >= 2 || (gap === 1 && this.#failing)) this.unsent = 0;
	}

	/** Admissions Redis has not answered for: unsent, and sent in calls not yet answered. */
	get pending(): number {
		return this.unsent + this.inFlight;
	}

	/**
	 * After this request's own call failed or outlived its timeout (its count is among the pending): whether it may go
	 * through uncounted by Redis, which is while the pending stay within U.
	 */
	admitsOpen(): boolean {
		return this.pending <= this.knobs.cap;
	}

	/** Counts a request admitted without asking Redis (locally, or failing open); true when a batch is due. */
	admitLocally(now: number): boolean {
		this.unsent++;
		this.#admittedAt = now;
		return this.unsent >= this.knobs.batch;
	}

	/** Starts the single-flight call that decides this request: everything unsent plus the request itself. */
	beginSync(): Call {
		const call = this.#begin(this.unsent + 1);
		this.syncing = true;
		this.#syncSeq = call.seq;
		return call;
	}

	/** Starts a background report of what is unsent; null when there is nothing to report. */
	beginFlush(): Call | null {
		return this.unsent > 0 ? this.#begin(this.unsent) : null;
	}

	#begin(rate: number): Call {
		this.unsent = 0;
		this.inFlight += rate;
		return { seq: ++this.#sent, rate };
	}

	/** Applies a call's answer (only the answer to the latest call sent counts as news). */
	settle(call: Call, answer: LimitAnswer, isSync: boolean): void {
		this.inFlight -= call.rate;
		if (isSync) this.#endSync(call);
		// Redis answered: no reason left to skip asking it.
		this.failOpenUntil = 0;
		this.#failing = false;
		if (call.seq < this.#applied) return;
		this.#applied = call.seq;
		this.known = true;
		this.limit = answer.limit;
		this.knobs = knobsFor(answer.limit);
		this.used = answer.limit - answer.remaining;
		this.reset = answer.reset;
		if (!answer.success) this.blockedUntil = Math.max(this.blockedUntil, answer.reset);
	}

	/** A call failed: what it carried is unsent again (reported later), and requests fail open for a while. */
	fail(call: Call, isSync: boolean, now: number): void {
		this.inFlight -= call.rate;
		if (isSync) this.#endSync(call);
		// All of it, or the isolate would hold more unanswered admissions than the cap lets it count.
		this.unsent += call.rate;
		this.#admittedAt = now;
		this.#failing = true;
		this.failOpenUntil = now + FAIL_OPEN_HOLD_MS;
	}

	/** A sync call outlived its timeout (it stays in flight): requests stop waiting for Redis for a while. */
	timedOut(now: number): void {
		this.syncing = false;
		this.failOpenUntil = now + FAIL_OPEN_HOLD_MS;
	}

	#endSync(call: Call): void {
		if (call.seq === this.#syncSeq) this.syncing = false;
	}

	/**
	 * The key's own limit differs from the one the last answer was for (a key's first call is made with the
	 * default limit before its record is known, or the key's limit was changed): the count used stays, the limit
	 * moves. True when the count already used is over the new limit.
	 */
	relimit(limit: number, now: number): boolean {
		if (limit === this.limit) return false;
		this.limit = limit;
		this.knobs = knobsFor(limit);
		if (!this.known) return false;
		// Over the new limit: refused until the reset. Exactly at it: nothing is left, so the next request asks Redis.
		if (this.used > limit) this.blockedUntil = Math.max(this.blockedUntil, this.reset);
		else if (this.blockedUntil > now) this.blockedUntil = 0;
		return this.used > limit;
	}

	/** What the last answer left, for this budget's limit. */
	get remaining(): number {
		return Math.max(0, this.limit - this.used);
	}

	/** The headers' view: never more than is left after this isolate's unreported admissions. */
	view(now: number): View {
		const remaining = (this.known ? this.remaining : this.limit) - this.unsent - this.inFlight;
		const blocked = this.blockedUntil > now;
		let reset = this.known ? this.reset : 0;
		// The sliding window's reset is the end of the current 60 s window.
		if (reset <= now) reset = (Math.floor(now / WINDOW_MS) + 1) * WINDOW_MS;
		return { limit: this.limit, remaining: blocked ? 0 : Math.max(0, remaining), reset };
	}
}

/** Isolate-lifetime budgets by identifier, bounded (the oldest is forgotten first). */
export class BudgetStore {
	readonly #budgets = new Map<string, Budget>();
	readonly #max: number;
	constructor(max = 10_000) {
		this.#max = max;
	}

	get(identifier: string, limit: number): Budget {
		let budget = this.#budgets.get(identifier);
		if (budget === undefined) {
			if (this.#budgets.size >= this.#max) {
				const oldest = this.#budgets.keys().next().value;
				if (oldest !== undefined) this.#budgets.delete(oldest);
			}
			budget = new Budget(limit);
			this.#budgets.set(identifier, budget);
		}
		return budget;
	}
}
