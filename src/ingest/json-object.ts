// metadata / context objects: any size and depth is accepted (the contract says "arbitrary key-value data"); what is
// stored is bounded. An object past the bounds is reduced, never refused: containers nested deeper than the depth
// bound and the biggest values are replaced by a short marker, keys kept where they fit, so that the stored JSON is
// within the size bound. Work is linear in the object (one pass to measure, one to rebuild, a sort per container).

/** What a reduced value is replaced with. */
export const MARKER = "[truncated]";
const MARKER_CHARS = MARKER.length + 2;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

/** True when a JSON value nests deeper than `limit`, giving up as soon as the limit is passed. */
export function depthExceeds(value: unknown, limit: number, depth = 1): boolean {
	if (depth > limit) return true;
	if (value === null || typeof value !== "object") return false;
	if (Array.isArray(value)) {
		for (const item of value) if (depthExceeds(item, limit, depth + 1)) return true;
		return false;
	}
	for (const key in value) {
		if (depthExceeds((value as Record<string, unknown>)[key], limit, depth + 1)) return true;
	}
	return false;
}

const isContainer = (v: unknown): v is Container => v !== null && typeof v === "object";
/** An object for rebuilt values: no prototype, so that an own "__proto__" key stays a key. */
const fresh = () => Object.create(null) as { [key: string]: Json };

/** A copy where every non-empty container at depth `limit` (its members would lie deeper) is the marker. */
function cutDepth(value: Json, limit: number, depth: number): Json {
	if (!isContainer(value)) return value;
	if (Array.isArray(value)) {
		if (depth >= limit) return value.length === 0 ? value : MARKER;
		return value.map((v) => cutDepth(v, limit, depth + 1));
	}
	const keys = Object.keys(value);
	if (depth >= limit) return keys.length === 0 ? value : MARKER;
	const out = fresh();
	for (const k of keys) out[k] = cutDepth(value[k] as Json, limit, depth + 1);
	return out;
}

/** JSON.stringify(value).length of every container below (and including) `value`, computed once, bottom up. */
function measure(value: Json, sizes: Map<Container, number>): number {
	if (!isContainer(value)) return (JSON.stringify(value) as string).length;
	let n = 2;
	if (Array.isArray(value)) {
		for (const v of value) n += measure(v, sizes) + 1;
		if (value.length > 0) n--;
	} else {
		const keys = Object.keys(value);
		for (const k of keys) n += (JSON.stringify(k) as string).length + 1 + measure(value[k] as Json, sizes) + 1;
		if (keys.length > 0) n--;
	}
	sizes.set(value, n);
	return n;
}

const sizeOf = (v: Json, sizes: Map<Container, number>) =>
	isContainer(v) ? (sizes.get(v) as number) : (JSON.stringify(v) as string).length;

/**
 * `value` rebuilt to at most `budget` characters of JSON: its biggest members first reduced (a container, when
 * reducing it is enough) or replaced by the marker; members dropped from the end only when even markers do not fit.
 * Returns the value and its size.
 */
function reduce(value: Container, budget: number, sizes: Map<Container, number>): { value: Json; size: number } {
	const total = sizes.get(value) as number;
	if (total <= budget) return { value, size: total };
	const array = Array.isArray(value);
	const keys = array ? value.map((_, i) => String(i)) : Object.keys(value);
	const values: Json[] = array ? [...value] : keys.map((k) => (value as { [key: string]: Json })[k] as Json);
	const own = values.map((v) => sizeOf(v, sizes));
	let need = total - budget;
	// Biggest first: each replacement saves the most, so the fewest members change.
	const order = own.map((_, i) => i).sort((a, b) => (own[b] as number) - (own[a] as number));
	for (const i of order) {
		if (need <= 0) break;
		const size = own[i] as number;
		if (size <= MARKER_CHARS) break; // the rest are smaller still: replacing them saves nothing
		const v = values[i] as Json;
		if (isContainer(v) && size - need > MARKER_CHARS) {
			const reduced = reduce(v, size - need, sizes);
			values[i] = reduced.value;
			own[i] = reduced.size;
			need -= size - reduced.size;
		} else {
			values[i] = MARKER;
			own[i] = MARKER_CHARS;
			need -= size - MARKER_CHARS;
		}
	}
	// Still too big: the keys alone do not fit. Members go from the end.
	let count = values.length;
	while (need > 0 && count > 0) {
		count--;
		const key = array ? 0 : (JSON.stringify(keys[count]) as string).length + 1;
		need -= key + (own[count] as number) + (count > 0 ? 1 : 0);
	}
	const size = budget + need; // what was saved is the need met: (total - budget) - need
	if (array) return { value: values.slice(0, count), size };
	const out = fresh();
	for (let i = 0; i < count; i++) out[keys[i] as string] = values[i] as Json;
	return { value: out, size };
}

/** True when `text` holds at least `n` of "{" and "[" together (counted by search, stopping at n). */
export function bracketsAtLeast(text: string, n: number): boolean {
	let count = 0;
	for (let i = text.indexOf("{"); i !== -1 && count < n; i = text.indexOf("{", i + 1)) count++;
	for (let i = text.indexOf("["); i !== -1 && count < n; i = text.indexOf("[", i + 1)) count++;
	return count >= n;
}

/** JSON.stringify, or undefined for a value nested beyond what the engine's recursion takes. */
function stringify(value: unknown): string | undefined {
	try {
		return JSON.stringify(value);
	} catch {
		return undefined;
	}
}

/**
 * The JSON text stored for a metadata or context object: the object's own text when it is within `maxChars` and
 * `maxDepth`, else the reduced object's; `clipped` says which.
 */
export function boundedJson(
	value: Record<string, unknown>,
	maxChars: number,
	maxDepth: number,
): { text: string; clipped: boolean } {
	const own = stringify(value);
	// A value deeper than the limit sits inside at least that many containers, each an opening bracket in the
	// text: only then is the value walked (exactly, and giving up past the limit).
	const deep = own === undefined || (bracketsAtLeast(own, maxDepth) && depthExceeds(value, maxDepth));
	if (own !== undefined && !deep && own.length <= maxChars) return { text: own, clipped: false };
	const v = deep ? cutDepth(value as Json, maxDepth, 1) : (value as Json);
	const text = deep ? (JSON.stringify(v) as string) : (own as string);
	if (text.length <= maxChars) return { text, clipped: true };
	const sizes = new Map<Container, number>();
	measure(v, sizes);
	const reduced = JSON.stringify(reduce(v as Container, maxChars, sizes).value) as string;
	// The sizes are JSON.stringify's own; this holds by construction, and is checked rather than trusted.
	return { text: reduced.length <= maxChars ? reduced : "{}", clipped: true };
}
