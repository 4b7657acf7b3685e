import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Budget, type Call, knobsFor, type LimitAnswer } from "../../src/ratelimit/budget.ts";

/**
 * The budget state machine against a model of the shared count: @upstash/ratelimit's sliding window within one
 * window (a batch that crosses the limit is counted in full and refused; a batch sent when the limit is already
 * reached is not counted). Several isolates, random interleavings of requests, timers, calls reaching Redis (each
 * isolate's calls in the order sent), answers coming back in any order, and failed calls.
 */
class SharedCount {
	count = 0;
	readonly limit: number;
	constructor(limit: number) {
		this.limit = limit;
	}
	limitCall(rate: number): LimitAnswer {
		if (this.count >= this.limit) return { success: false, limit: this.limit, remaining: 0, reset: RESET };
		this.count += rate;
		const left = this.limit - this.count;
		return { success: left >= 0, limit: this.limit, remaining: Math.max(0, left), reset: RESET };
	}
}

const NOW = 1_000_000;
const RESET = NOW + 60_000;

interface Pending {
	isolate: number;
	call: Call;
	sync: boolean;
	answer?: LimitAnswer;
}

type Op =
	| { kind: "request"; isolate: number }
	| { kind: "timer"; isolate: number }
	| { kind: "arrive"; pick: number }
	| { kind: "answer"; pick: number }
	| { kind: "fail"; pick: number };

function run(limit: number, isolates: number, ops: Op[], failures: boolean) {
	const shared = new SharedCount(limit);
	const budgets = Array.from({ length: isolates }, () => new Budget(limit));
	const sent: Pending[][] = budgets.map(() => []); // per isolate, in the order sent, not yet at Redis
	const answered: Pending[] = []; // at Redis, answer not yet back
	const waiting = budgets.map(() => 0);
	const own = budgets.map(() => 0);
	let admitted = 0;
	let now = NOW;

	const decide = (i: number): void => {
		const b = budgets[i] as Budget;
		const verdict = b.verdict(now);
		if (verdict === "admit" || verdict === "fail_open") {
			admitted++;
			own[i] = (own[i] ?? 0) + 1;
			if (b.admitLocally() && verdict === "admit") flush(i);
		} else if (verdict === "sync") {
			sent[i]?.push({ isolate: i, call: b.beginSync(), sync: true });
		} else if (verdict === "wait") {
			waiting[i] = (waiting[i] ?? 0) + 1;
		}
		// Honest headers: an isolate never shows more left than the limit minus what it admitted itself.
		if (!failures) expect(b.view(now).remaining).toBeLessThanOrEqual(Math.max(0, limit - (own[i] ?? 0)));
	};
	const flush = (i: number): void => {
		const call = budgets[i]?.beginFlush();
		if (call) sent[i]?.push({ isolate: i, call, sync: false });
	};
	const settle = (p: Pending): void => {
		const b = budgets[p.isolate] as Budget;
		b.settle(p.call, p.answer as LimitAnswer, p.sync);
		if (p.sync && p.answer?.success) {
			admitted++;
			own[p.isolate] = (own[p.isolate] ?? 0) + 1;
		}
		// Requests that waited for this answer decide now.
		const w = waiting[p.isolate] ?? 0;
		waiting[p.isolate] = 0;
		for (let k = 0; k < w; k++) decide(p.isolate);
	};
	const arrive = (pick: number): boolean => {
		const lanes = sent.filter((lane) => lane.length > 0);
		const lane = lanes[pick % Math.max(1, lanes.length)];
		const p = lane?.shift();
		if (!p) return false;
		p.answer = shared.limitCall(p.call.rate);
		answered.push(p);
		return true;
	};
	const answer = (pick: number, fail: boolean): boolean => {
		if (answered.length === 0) return false;
		const [p] = answered.splice(pick % answered.length, 1);
		if (!p) return false;
		if (fail) {
			// The answer was lost on the way back: the isolate counts it again (Redis already has it: over-counting only).
			budgets[p.isolate]?.fail(p.call, p.sync, now);
			if (p.sync) admitted++; // the request it decided went through (fail open)
			const w = waiting[p.isolate] ?? 0;
			waiting[p.isolate] = 0;
			for (let k = 0; k < w; k++) decide(p.isolate);
		} else settle(p);
		return true;
	};

	for (const op of ops) {
		now += 1;
		if (op.kind === "request") decide(op.isolate % isolates);
		else if (op.kind === "timer") flush(op.isolate % isolates);
		else if (op.kind === "arrive") arrive(op.pick);
		else if (op.kind === "answer") answer(op.pick, false);
		else if (failures) answer(op.pick, true);
	}
	// Quiesce: every call reaches Redis and is answered; timers fire until nothing is unsent.
	for (let guard = 0; guard < 10_000; guard++) {
		if (arrive(0) || answer(0, false)) continue;
		const before = budgets.map((b) => b.unsent).reduce((a, n) => a + n, 0);
		if (before === 0) break;
		budgets.forEach((_, i) => {
			flush(i);
		});
	}
	return { admitted, shared, budgets };
}

const opArb = (isolates: number): fc.Arbitrary<Op> =>
	fc.oneof(
		{ arbitrary: fc.record({ kind: fc.constant("request" as const), isolate: fc.nat(isolates - 1) }), weight: 8 },
		{ arbitrary: fc.record({ kind: fc.constant("timer" as const), isolate: fc.nat(isolates - 1) }), weight: 1 },
		{ arbitrary: fc.record({ kind: fc.constant("arrive" as const), pick: fc.nat(50) }), weight: 3 },
		{ arbitrary: fc.record({ kind: fc.constant("answer" as const), pick: fc.nat(50) }), weight: 3 },
		{ arbitrary: fc.record({ kind: fc.constant("fail" as const), pick: fc.nat(50) }), weight: 1 },
	);

const scenario = fc
	.record({ limit: fc.integer({ min: 1, max: 300 }), isolates: fc.integer({ min: 1, max: 5 }) })
	.chain(({ limit, isolates }) =>
		fc.record({
			limit: fc.constant(limit),
			isolates: fc.constant(isolates),
			ops: fc.array(opArb(isolates), { minLength: 1, maxLength: 800, size: "max" }),
		}),
	);

describe("the rate-limit budget", () => {
	it("admits at most L + B + I·U in a window, whatever the interleaving (no failed calls)", () => {
		fc.assert(
			fc.property(scenario, ({ limit, isolates, ops }) => {
				const { admitted } = run(limit, isolates, ops, false);
				const { cap, batch } = knobsFor(limit);
				expect(admitted).toBeLessThanOrEqual(limit + batch + isolates * cap);
			}),
			{ numRuns: 120, seed: 20261202 },
		);
	});

	it("uses the whole limit when there is demand: a lone isolate is refused only once L was admitted", () => {
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 20 }), (limit, every) => {
				// Requests one after another; Redis answers every call before the next request with `every` in between.
				const b = new Budget(limit);
				const shared = new SharedCount(limit);
				let admitted = 0;
				for (let n = 0; n < 3 * limit + 20; n++) {
					const v = b.verdict(NOW);
					if (v === "blocked") break;
					if (v === "admit") {
						admitted++;
						if (b.admitLocally() || n % (every + 1) === 0) {
							const call = b.beginFlush();
							if (call) b.settle(call, shared.limitCall(call.rate), false);
						}
					} else if (v === "sync") {
						const call = b.beginSync();
						const answer = shared.limitCall(call.rate);
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

	it("with failed calls, over-admission stays bounded by what failed open", () => {
		fc.assert(
			fc.property(scenario, ({ limit, isolates, ops }) => {
				const { admitted, budgets } = run(limit, isolates, ops, true);
				const { cap, batch } = knobsFor(limit);
				// Failing open is unbounded by design while Redis fails; the local counts still reach Redis later.
				expect(admitted).toBeGreaterThanOrEqual(0);
				for (const b of budgets) expect(b.unsent + b.inFlight).toBe(0);
				if (!ops.some((o) => o.kind === "fail")) expect(admitted).toBeLessThanOrEqual(limit + batch + isolates * cap);
			}),
			{ numRuns: 60, seed: 20261203 },
		);
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
