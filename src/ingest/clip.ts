import { clip } from "../util/text.ts";
import { boundedJson } from "./json-object.ts";
import { LIMITS, MAX_TIME, MIN_TIME } from "./limits.ts";

/** A row's `truncated` when nothing was clipped: one shared empty list, so the common case allocates nothing. */
export const NOTHING_CLIPPED: readonly string[] = Object.freeze([]);

/**
 * What clips a request's rows to the bounds of src/ingest/limits.ts and remembers what it clipped: each method
 * returns the value as stored and notes the field's path when that is not the value as sent; take() hands one row
 * its `truncated` list. A value within its bound costs one comparison. One per request, used by every row builder
 * (the fast path's and zod's alike, in the same order, so both give the same rows).
 */
export class Clips {
	#paths: string[] | undefined;
	/** Paths listed over the request's rows (the wide event's `truncated`). */
	total = 0;

	note(path: string): void {
		this.#paths ??= [];
		this.#paths.push(path);
	}

	/** At most `max` UTF-16 units, never between the halves of a surrogate pair; "" for an absent value. */
	text(value: string | undefined, max: number, path: string): string {
		if (value === undefined) return "";
		if (value.length <= max) return value;
		this.note(path);
		return clip(value, max);
	}

	/** A stack trace at most LIMITS.stackTrace units, cut at the end of a line (a frame is never half kept). */
	stack(value: string, path: string): string {
		const max = LIMITS.stackTrace;
		if (value.length <= max) return value;
		this.note(path);
		const end = value.lastIndexOf("\n", max);
		return end > 0 ? value.slice(0, end) : clip(value, max);
	}

	/** A count, duration or cost at most `max`. */
	number(value: number, max: number, path: string): number {
		if (value <= max) return value;
		this.note(path);
		return max;
	}

	/** Unix ms within what DateTime64(3) stores (1900-2299): a time outside it is stored at the nearest end. */
	time(ms: number, path: string): number {
		if (ms >= MIN_TIME && ms <= MAX_TIME) return ms;
		this.note(path);
		return ms < MIN_TIME ? MIN_TIME : MAX_TIME;
	}

	/** The JSON text of a metadata or context object, reduced to LIMITS.objectBytes and LIMITS.objectDepth. */
	object(value: Record<string, unknown>, path: string): string {
		const bounded = boundedJson(value, LIMITS.objectBytes, LIMITS.objectDepth);
		if (bounded.clipped) this.note(path);
		return bounded.text;
	}

	/** The paths noted since the last take(), after `shared` (a batch's own, noted once for all its rows): one row's `truncated`. */
	take(shared: readonly string[] = NOTHING_CLIPPED): readonly string[] {
		const paths = this.#paths;
		if (paths === undefined) {
			this.total += shared.length;
			return shared;
		}
		this.#paths = undefined;
		const all = shared.length === 0 ? paths : [...shared, ...paths];
		this.total += all.length;
		return all;
	}

	/** The paths noted since the last take(), for fields a batch's rows share: counted with each row that lists them. */
	shared(): readonly string[] {
		const paths = this.#paths ?? NOTHING_CLIPPED;
		this.#paths = undefined;
		return paths;
	}
}
