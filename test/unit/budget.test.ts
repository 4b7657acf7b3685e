import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Budget, type Call, FAIL_OPEN_HOLD_MS, knobsFor, type LimitAnswer } from "../../src/ratelimit/budget.ts";

/**
 * The budget state machine against a model of the shared count: @upstash/ratelimit's sliding window within one
 * window (a batch that crosses the limit is counted in full and refused; a batch sent when the limit is already
 * reached is not counted; the limit is the one the call carries). Several isolates and several keys, random
 * interleavings of requests, timers, calls reaching Redis (each isolate's calls in the order sent), answers coming
 * back in any order, answers lost after Redis counted them, stalls (a sync call outlives its timeout, and so do the
 * requests waiting for it) and Redis going down mid-burst (calls fail without being counted).
 *
 * The requests are decided as src/ratelimit/edge.ts decides them (admit, prime, settlePrimed, sync, waitForCall):
 * a key new to an isolate is first asked with the default limit (prime), and corrected to its own once known.
 */
class SharedCount {
	readonly counts = new Map<number, number>();
	limitCall(key: number, rate: number, limit: number): LimitAnswer {
		const count = this.counts.get(key) ?? 0;
		if (count >= limit) return { success: false, limit, remaining: 0, reset: RESET };
		this.counts.set(key, count + rate);
		const left = limit - count - rate;
		return { success: left >= 0, limit, remaining: Math.max(0, left), reset: RESET };
	}
}

const NOW = 1_000_000;
const RESET = NOW + 60_000;
/** The configured default: what a key new to an isolate is first asked with. */
const DEFAULT_LIMIT = 5_000;

interface Pending {
	isolate: number;
	key: number;
	call: Call;
	/** The limit the call carries (the budget's when it was sent). */
	limit: number;
	sync: boolean;
	/** The request this sync call decides, until it is decided (by the outcome, or by its timeout). */
	owner?: { primed: boolean };
	answer?: LimitAnswer;
}

type Op =
	| { kind: "request"; isolate: number; key: number }
	| { kind: "timer"; isolate: number; key: number }
	| { kind: "arrive"; pick: number }
	| { kind: "answer"; pick: number }
	| { kind: "lose"; pick: number }
	| { kind: "stall"; isolate: number; key: number }
	| { kind: "down" }
	| { kind: "up" };

interface Decision {
	admitted: boolean;
	failedOpen: boolean;
	unavailable?: boolean;
}

function run(limits: number[], isolates: number, ops: Op[]) {
	const shared = new SharedCount();
	const cell = <T>(make: () => T) => Array.from({ length: isolates }, () => limits.map(make));
	const budgets: (Budget | undefined)[][] = cell(() => undefined);
	const keyKnown = cell(() => false); // the isolate's key cache holds the key's record
	const waiting = cell(() => 0); // requests waiting for another request's call (waitForCall)
	const own = cell(() => 0);
	const sent: Pending[][] = Array.from({ length: isolates }, () => []); // per isolate, in order, not yet at Redis
	const answered: Pending[] = []; // at Redis (counted), answer not yet back
	const admitted = limits.map(() => 0);
	let redisDown = false;
	let refusedUnavailable = 0;
	let now = NOW;

	const budgetOf = (i: number, k: number): Budget => {
		const row = budgets[i] as (Budget | undefined)[];
		let b = row[k];
		if (b === undefined) {
			b = new Budget(DEFAULT_LIMIT);
			row[k] = b;
		}
		return b;
	};
	const record = (i: number, k: number, d: Decision): void => {
		if (d.unavailable) refusedUnavailable++;
		if (!d.admitted) return;
		admitted[k] = (admitted[k] ?? 0) + 1;
		(own[i] as number[])[k] = ((own[i] as number[])[k] ?? 0) + 1;
	};
	const send = (i: number, k: number, call: Call | null, sync: boolean, owner?: Pending["owner"]): void => {
		if (call) sent[i]?.push({ isolate: i, key: k, call, limit: budgetOf(i, k).limit, sync, owner });
	};
	const flush = (i: number, k: number): void => {
		const b = budgets[i]?.[k];
		if (b) send(i, k, b.beginFlush(), false);
	};
	const admitOpen = (b: Budget): Decision =>
		b.admitsOpen() ? { admitted: true, failedOpen: true } : { admitted: false, failedOpen: true, unavailable: true };

	/** edge.ts admit(): the key's own limit, then the verdict. */
	const decide = (i: number, k: number): void => {
		const b = budgetOf(i, k);
		const limit = limits[k] as number;
		b.relimit(limit, now);
		const verdict = b.verdict(now);
		if (verdict === "admit" || verdict === "fail_open") {
			record(i, k, { admitted: true, failedOpen: verdict === "fail_open" });
			if (b.admitLocally(NOW) && verdict === "admit") flush(i, k);
		} else if (verdict === "sync") {
			send(i, k, b.beginSync(), true, { primed: false });
			return;
		} else if (verdict === "wait") {
			(waiting[i] as number[])[k] = ((waiting[i] as number[])[k] ?? 0) + 1;
			return;
		} else
			record(i, k, { admitted: false, failedOpen: verdict === "unavailable", unavailable: verdict === "unavailable" });
		// Honest headers: an isolate never shows more left than the limit minus what it admitted itself.
		expect(b.view(now).remaining).toBeLessThanOrEqual(Math.max(0, limit - ((own[i] as number[])[k] ?? 0)));
	};
	/** edge.ts settlePrimed(): a primed request's decision once the key's limit is known ("again": decided anew). */
	const settlePrimed = (i: number, k: number, primed: Decision): Decision | "again" => {
		const b = budgetOf(i, k);
		const limit = limits[k] as number;
		const sameLimit = limit === b.limit;
		b.relimit(limit, now);
		if (primed.failedOpen) {
			if (b.blockedUntil > now) return { admitted: false, failedOpen: false };
			return primed.admitted ? admitOpen(b) : primed;
		}
		if (sameLimit) return primed;
		return primed.admitted ? { admitted: b.blockedUntil <= now, failedOpen: false } : "again";
	};
	const decideOwner = (p: Pending, d: Decision): void => {
		const owner = p.owner;
		if (!owner) return;
		p.owner = undefined;
		if (!owner.primed) {
			record(p.isolate, p.key, d);
			return;
		}
		// The lookup is done by now: the key's record is in the isolate's cache.
		(keyKnown[p.isolate] as boolean[])[p.key] = true;
		const settled = settlePrimed(p.isolate, p.key, d);
		if (settled === "again") decide(p.isolate, p.key);
		else record(p.isolate, p.key, settled);
	};
	/** Requests waiting for a call (they poll `syncing`) decide once it is over. */
	const wake = (i: number, k: number): void => {
		const b = budgets[i]?.[k];
		if (!b || b.syncing) return;
		const w = (waiting[i] as number[])[k] ?? 0;
		(waiting[i] as number[])[k] = 0;
		for (let n = 0; n < w; n++) decide(i, k);
	};

	const request = (i: number, k: number): void => {
		const b = budgetOf(i, k);
		if (!(keyKnown[i] as boolean[])[k]) {
			// A key new to the isolate: prime() asks with the default limit alongside the key lookup.
			if (b.verdict(now) === "sync") {
				send(i, k, b.beginSync(), true, { primed: true });
				return;
			}
			(keyKnown[i] as boolean[])[k] = true;
		}
		decide(i, k);
	};
	const failed = (p: Pending): void => {
		const b = budgetOf(p.isolate, p.key);
		b.fail(p.call, p.sync, now);
		decideOwner(p, admitOpen(b));
		wake(p.isolate, p.key);
	};
	const arrive = (pick: number): boolean => {
		const lanes = sent.filter((lane) => lane.length > 0);
		const p = lanes[pick % Math.max(1, lanes.length)]?.shift();
		if (!p) return false;
		// Redis down: the call fails and nothing was counted.
		if (redisDown) failed(p);
		else {
			p.answer = shared.limitCall(p.key, p.call.rate, p.limit);
			answered.push(p);
		}
		return true;
	};
	const answer = (pick: number, lost: boolean): boolean => {
		if (answered.length === 0) return false;
		const [p] = answered.splice(pick % answered.length, 1);
		if (!p) return false;
		// Lost on the way back: the isolate counts it again (Redis already has it: over-counting only).
		if (lost) {
			failed(p);
			return true;
		}
		const b = budgetOf(p.isolate, p.key);
		const a = p.answer as LimitAnswer;
		b.settle(p.call, a, p.sync);
		decideOwner(p, { admitted: a.success, failedOpen: false });
		wake(p.isolate, p.key);
		return true;
	};
	/** The budget's sync call outlives its timeout (the call stays in flight), and so do the requests waiting on it. */
	const stall = (i: number, k: number): void => {
		const b = budgets[i]?.[k];
		if (!b?.syncing) return;
		b.timedOut(now);
		const owner = [...(sent[i] ?? []), ...answered].find((p) => p.owner && p.isolate === i && p.key === k);
		if (owner) decideOwner(owner, admitOpen(b));
		wake(i, k);
	};

	for (const op of ops) {
		now += 1;
		if (op.kind === "request") request(op.isolate % isolates, op.key % limits.length);
		else if (op.kind === "timer") flush(op.isolate % isolates, op.key % limits.length);
		else if (op.kind === "arrive") arrive(op.pick);
		else if (op.kind === "answer") answer(op.pick, false);
		else if (op.kind === "lose") answer(op.pick, true);
		else if (op.kind === "stall") stall(op.isolate % isolates, op.key % limits.length);
		else redisDown = op.kind === "down";
	}
	// Quiesce: Redis back, every call reaches it and is answered; timers fire until nothing is unsent.
	redisDown = false;
	for (let guard = 0; guard < 10_000; guard++) {
		if (arrive(0) || answer(0, false)) continue;
		const all = budgets.flat().filter((b): b is Budget => b !== undefined);
		if (all.every((b) => b.unsent === 0)) break;
		for (let i = 0; i < isolates; i++) for (let k = 0; k < limits.length; k++) flush(i, k);
	}
	return { admitted, budgets: budgets.flat(), refusedUnavailable };
}

const opArb = (isolates: number, keys: number, failures: boolean): fc.Arbitrary<Op> => {
	const at = { isolate: fc.nat(isolates - 1), key: fc.nat(keys - 1) };
	const ops: fc.WeightedArbitrary<Op>[] = [
		{ arbitrary: fc.record({ kind: fc.constant("request" as const), ...at }), weight: 16 },
		{ arbitrary: fc.record({ kind: fc.constant("timer" as const), ...at }), weight: 2 },
		{ arbitrary: fc.record({ kind: fc.constant("arrive" as const), pick: fc.nat(50) }), weight: 6 },
		{ arbitrary: fc.record({ kind: fc.constant("answer" as const), pick: fc.nat(50) }), weight: 6 },
	];
	if (failures)
		ops.push(
			{ arbitrary: fc.record({ kind: fc.constant("lose" as const), pick: fc.nat(50) }), weight: 1 },
			{ arbitrary: fc.record({ kind: fc.constant("stall" as const), ...at }), weight: 2 },
			{ arbitrary: fc.constant({ kind: "down" as const }), weight: 1 },
			{ arbitrary: fc.constant({ kind: "up" as const }), weight: 1 },
		);
	return fc.oneof(...ops);
};

const scenario = (failures: boolean, maxKeys: number) =>
	fc
		.record({
			limits: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: maxKeys }),
			isolates: fc.integer({ min: 1, max: 5 }),
		})
		.chain(({ limits, isolates }) =>
			fc.record({
				limits: fc.constant(limits),
				isolates: fc.constant(isolates),
				ops: fc.array(opArb(isolates, limits.length, failures), { minLength: 1, maxLength: 1200, size: "max" }),
			}),
		);

/** L + B + I·U for each key: the documented bound on what a window admits. */
const bounds = (limits: number[], isolates: number) =>
	limits.map((limit) => {
		const { cap, batch } = knobsFor(limit);
		return limit + batch + isolates * cap;
	});

describe("the rate-limit budget", () => {
	it("admits at most L + B + I·U of each key in a window, whatever the interleaving (no failures)", () => {
		fc.assert(
			fc.property(scenario(false, 4), ({ limits, isolates, ops }) => {
				const { admitted, refusedUnavailable } = run(limits, isolates, ops);
				const bound = bounds(limits, isolates);
				admitted.forEach((n, k) => {
					expect(n).toBeLessThanOrEqual(bound[k] as number);
				});
				// Redis always answers: nothing is refused for being unable to ask it.
				expect(refusedUnavailable).toBe(0);
			}),
			{ numRuns: 120, seed: 20261202 },
		);
	});

	it("keeps that bound through stalls, lost answers and Redis going down mid-burst, several fresh keys at once", () => {
		let refusing = 0;
		fc.assert(
			fc.property(scenario(true, 4), ({ limits, isolates, ops }) => {
				const { admitted, budgets, refusedUnavailable } = run(limits, isolates, ops);
				if (refusedUnavailable > 0) refusing++;
				const bound = bounds(limits, isolates);
				admitted.forEach((n, k) => {
					expect(n).toBeLessThanOrEqual(bound[k] as number);
				});
				// Everything admitted locally reached the shared count in the end.
				for (const b of budgets) if (b) expect(b.unsent + b.inFlight).toBe(0);
			}),
			{ numRuns: 150, seed: 20261203 },
		);
		// The scenarios do reach the end of the allowance (the hold's cap is exercised, not only its start).
		expect(refusing).toBeGreaterThan(20);
	});

	it("uses the whole limit when there is demand: a lone isolate is refused only once L was admitted", () => {
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 20 }), (limit, every) => {
				// Requests one after another; Redis answers every call before the next request with `every` in between.
				const b = new Budget(limit);
				const shared = new SharedCount();
				let admitted = 0;
				for (let n = 0; n < 3 * limit + 20; n++) {
					const v = b.verdict(NOW);
					if (v === "blocked") break;
					if (v === "admit") {
						admitted++;
						if (b.admitLocally(NOW) || n % (every + 1) === 0) {
							const call = b.beginFlush();
							if (call) b.settle(call, shared.limitCall(0, call.rate, limit), false);
						}
					} else if (v === "sync") {
						const call = b.beginSync();
						const answer = shared.limitCall(0, call.rate, limit);
						b.settle(call, answer, true);
						if (answer.success) admitted++;
					} else throw new Error(`unexpected verdict ${v}`);
				}
				expect(admitted).toBe(limit);
				expect(b.view(NOW)).toMatchObject({ limit, remaining: 0 });
			}),
			{ numRuns: 200, seed: 20261202 },
		);
	});

	it("while Redis is down, an isolate admits U of a key at once, then refuses as unavailable until Redis answers", () => {
		const limit = 20;
		const { cap } = knobsFor(limit);
		const b = new Budget(limit);
		const first = b.beginSync();
		b.fail(first, true, NOW);
		expect(b.admitsOpen()).toBe(true); // the request whose call failed goes through
		let open = 1;
		for (let n = 0; n < 100; n++) {
			const v = b.verdict(NOW + n);
			if (v !== "fail_open") {
				expect(v).toBe("unavailable");
				continue;
			}
			b.admitLocally(NOW);
			open++;
		}
		expect(open).toBe(cap);
		// The hold ends: the next request asks Redis; failing again, it is refused (the isolate already holds U).
		expect(b.verdict(NOW + FAIL_OPEN_HOLD_MS)).toBe("sync");
		const retry = b.beginSync();
		b.fail(retry, true, NOW + FAIL_OPEN_HOLD_MS);
		expect(b.admitsOpen()).toBe(false);
		// Redis answers again: everything held is reported at once, and the budget is back on its answers.
		const back = b.beginSync();
		expect(back.rate).toBe(cap + 2);
		b.settle(back, { success: true, limit, remaining: limit - cap - 2, reset: RESET }, true);
		expect(b.verdict(NOW + FAIL_OPEN_HOLD_MS)).toBe("admit");
	});

	it("while Redis stays down, the allowance renews with each 60 s window: U a window, never everything, never nothing", () => {
		const limit = 5_000;
		const { cap } = knobsFor(limit);
		const b = new Budget(limit);
		const start = Math.ceil(NOW / 60_000) * 60_000; // a window's first millisecond
		b.fail(b.beginSync(), true, start);
		const admittedIn: number[] = [];
		for (let w = 0; w < 4; w++) {
			let admitted = w === 0 ? 1 : 0; // the failed sync's own request went through
			for (let n = 0; n < 3 * cap; n++) {
				const at = start + w * 60_000 + n * 10;
				const v = b.verdict(at);
				if (v === "sync") {
					// Redis is still down: the hold has ended, this request's call fails, and it goes through within U.
					b.fail(b.beginSync(), true, at);
					if (b.admitsOpen()) admitted++;
				} else if (v === "fail_open") {
					b.admitLocally(at);
					admitted++;
				} else expect(v).toBe("unavailable");
			}
			admittedIn.push(admitted);
		}
		expect(admittedIn, `cap ${cap}`).toEqual([cap, cap, cap, cap]);
	});

	it("a stall's late answer ends the hold: a healthy Redis is asked again, not refused for", () => {
		const b = new Budget(20);
		const stalled = b.beginSync();
		b.timedOut(NOW);
		expect(b.verdict(NOW)).toBe("fail_open");
		b.settle(stalled, { success: true, limit: 20, remaining: 19, reset: RESET }, true);
		expect(b.verdict(NOW)).toBe("admit");
		for (let n = 0; n < 10; n++) b.admitLocally(NOW);
		expect(b.verdict(NOW)).toBe("sync");
	});

	it("an older sync's late answer does not end a newer sync's single flight", () => {
		const b = new Budget(20);
		const old = b.beginSync();
		b.timedOut(NOW);
		b.settle(b.beginSync(), { success: true, limit: 20, remaining: 19, reset: RESET }, true);
		for (let n = 0; n < 10; n++) b.admitLocally(NOW);
		const current = b.beginSync();
		expect(b.syncing).toBe(true);
		b.settle(old, { success: true, limit: 20, remaining: 18, reset: RESET }, true);
		expect(b.syncing).toBe(true);
		b.settle(current, { success: true, limit: 20, remaining: 5, reset: RESET }, true);
		expect(b.syncing).toBe(false);
	});

	it("moves the limit of a known count (the default's answer corrected to the key's own limit)", () => {
		const b = new Budget(5000);
		b.settle(b.beginSync(), { success: true, limit: 5000, remaining: 4990, reset: RESET }, true);
		expect(b.relimit(20, NOW)).toBe(false);
		expect(b.view(NOW)).toMatchObject({ limit: 20, remaining: 10 });
		expect(b.relimit(5, NOW)).toBe(true);
		expect(b.verdict(NOW)).toBe("blocked");
		// Exactly at the new limit: the request counted is admitted, none is left.
		expect(b.relimit(10, NOW)).toBe(false);
		expect(b.verdict(NOW)).toBe("sync");
		expect(b.view(NOW).remaining).toBe(0);
		expect(b.relimit(100, NOW)).toBe(false);
		expect(b.verdict(NOW)).toBe("admit");
		expect(b.view(NOW).remaining).toBe(90);
	});
});
