import { boundedJson, depthExceeds } from "../ingest/json-object.ts";
import { LIMITS } from "../ingest/limits.ts";
import type { Attributes, AttrValue } from "./model.ts";

// An item's metadata is its own attributes plus its resource's and scope's. Copying those shared attributes
// into every item (and validating and serialising them per item) made cost and storage grow as attributes ×
// items: a 208 KB request with 6,000 resource attributes and 2,000 spans took 10 s of CPU. Here the shared
// attributes are serialised once per scope, bounded, and spliced into each item's JSON as text.

/** Attributes kept per item and per resource + scope: OpenTelemetry SDKs' default AttributeCountLimit. */
export const MAX_ATTRIBUTES = 128;
/** Bytes of shared (resource + scope) attributes copied into one item's metadata at most. */
export const MAX_SHARED_CHARS = 4 * 1024;
/** Shared attributes copied into a request's rows, in all, at most this many times the request's size. */
export const SHARED_BUDGET_FACTOR = 16;
/** The budget never falls below this, so that a small request keeps its whole resource... */
const MIN_SHARED_BUDGET = 256 * 1024;
/** ...nor rises above this: a 5 MB body of tiny items must not hold 80 MB of copies in a 128 MB isolate. */
export const MAX_SHARED_BUDGET = 8 * 1024 * 1024;

/** `"key":value` JSON members, in order, with their keys. */
export interface Members {
	keys: string[];
	texts: string[];
	/** Attributes not kept (over the count, or nested deeper than stored metadata may be). */
	dropped: number;
}

/** Members of `attrs` added to `into` (a key already there is replaced in place); at most `limit` members in all. */
export function members(attrs: Attributes, limit = MAX_ATTRIBUTES, into?: Members): Members {
	const out: Members = into ? { keys: [...into.keys], texts: [...into.texts], dropped: into.dropped } : empty();
	const at = into ? new Map(out.keys.map((k, i) => [k, i])) : undefined;
	for (const key of Object.keys(attrs)) {
		const index = at?.get(key);
		if (index === undefined && out.keys.length >= limit) {
			out.dropped++; // counted without being read: the work stays linear in what is kept
			continue;
		}
		const value = attrs[key] as AttrValue;
		// metadata is one level: a value may nest one level less than a stored object.
		if (depthExceeds(value, LIMITS.objectDepth - 1)) {
			out.dropped++;
			continue;
		}
		const text = `${JSON.stringify(key)}:${JSON.stringify(value)}`;
		if (index !== undefined) out.texts[index] = text;
		else {
			at?.set(key, out.keys.length);
			out.keys.push(key);
			out.texts.push(text);
		}
	}
	return out;
}

const empty = (): Members => ({ keys: [], texts: [], dropped: 0 });

/** The resource's and scope's attributes as JSON members, serialised once for all the scope's items. */
export interface Shared {
	members: Members;
	/** The members joined: an item's copy is only this text. */
	text: string;
	keys: Set<string>;
}

/** Characters of shared attributes each item may carry, for a request of `bodyBytes` holding `items` items. */
export function sharedAllowance(bodyBytes: number, items: number): number {
	const budget = Math.min(MAX_SHARED_BUDGET, Math.max(MIN_SHARED_BUDGET, SHARED_BUDGET_FACTOR * bodyBytes));
	return Math.min(MAX_SHARED_CHARS, Math.floor(budget / Math.max(1, items)));
}

/**
 * The resource's members (computed once per resource) with the scope's over them, as many as `allowance`
 * characters hold. Work per scope: at most MAX_ATTRIBUTES members plus the scope's own attributes.
 */
export function sharedAttributes(resource: Members, scope: Attributes, allowance: number): Shared {
	const all = members(scope, MAX_ATTRIBUTES, resource);
	const kept = empty();
	kept.dropped = all.dropped;
	let length = 0;
	for (let i = 0; i < all.keys.length; i++) {
		const text = all.texts[i] as string;
		if (length + text.length + 1 > allowance) {
			kept.dropped++;
			continue;
		}
		length += text.length + 1;
		kept.keys.push(all.keys[i] as string);
		kept.texts.push(text);
	}
	return { members: kept, text: kept.texts.join(","), keys: new Set(kept.keys) };
}

/** A value among the item's, then the shared attributes (for the few keys rows read, such as gen_ai.*). */
export function lookup(key: string, ...layers: Attributes[]): AttrValue | undefined {
	for (const layer of layers) if (Object.hasOwn(layer, key)) return layer[key];
	return undefined;
}

export interface Metadata {
	text: string;
	/** Members were reduced to fit LIMITS.objectBytes (the row lists `metadata` in `truncated`). */
	clipped: boolean;
}

const DROPPED = "otel.dropped_attributes_count";

/**
 * The item's metadata JSON: shared members (those the item does not override), then the item's first
 * MAX_ATTRIBUTES attributes, then `extra` (over them). Work and output are bounded by the item's own size
 * plus the shared text; past LIMITS.objectBytes the biggest members' values become the marker, keys kept where
 * they fit (as ingest/json-object.ts reduces a JSON route's metadata).
 */
export function itemMetadata(shared: Shared, attributes: Attributes, extra: Attributes): Metadata {
	return plainMetadata(shared, attributes, extra) ?? membersMetadata(shared, attributes, extra);
}

/**
 * itemMetadata's common case in one JSON.stringify instead of two per attribute: nothing to drop (at most
 * MAX_ATTRIBUTES attributes, none nested too deep, none dropped from the shared ones), no shared attribute
 * overridden, within LIMITS.objectBytes. One object's JSON is its members as members() writes them, in the same
 * order: Object.keys order, `extra` (the mapping's own names, never array indexes) after the attributes or over
 * one of them. Undefined otherwise. test/unit/otlp-attributes.test.ts holds it to membersMetadata.
 */
function plainMetadata(shared: Shared, attributes: Attributes, extra: Attributes): Metadata | undefined {
	if (shared.members.dropped > 0) return undefined;
	// A plain object (V8 serialises one with a shape far faster than a null-prototype one): "__proto__" is left to members().
	const own: Attributes = {};
	let count = 0;
	for (const key in attributes) {
		if (++count > MAX_ATTRIBUTES || !keptWhole(shared, key, attributes[key] as AttrValue)) return undefined;
		own[key] = attributes[key] as AttrValue;
	}
	for (const key in extra) {
		if (!keptWhole(shared, key, extra[key] as AttrValue)) return undefined;
		own[key] = extra[key] as AttrValue;
	}
	const ownText = JSON.stringify(own).slice(1, -1);
	const text = `{${shared.text}${shared.text !== "" && ownText !== "" ? "," : ""}${ownText}}`;
	return text.length <= LIMITS.objectBytes ? { text, clipped: false } : undefined;
}

/** An item's attribute that members() keeps as it is, overriding no shared one. */
const keptWhole = (shared: Shared, key: string, value: AttrValue) =>
	key !== "__proto__" &&
	!shared.keys.has(key) &&
	!(typeof value === "object" && depthExceeds(value, LIMITS.objectDepth - 1));

/** itemMetadata member by member: every case (what is dropped counted, shared attributes overridden, reduced past the bound). */
export function membersMetadata(shared: Shared, attributes: Attributes, extra: Attributes): Metadata {
	const own = members(extra, Number.POSITIVE_INFINITY, members(attributes));
	const dropped = own.dropped + shared.members.dropped;
	let sharedText = shared.text;
	if (own.keys.some((k) => shared.keys.has(k))) {
		const overridden = new Set(own.keys);
		sharedText = shared.members.texts.filter((_, i) => !overridden.has(shared.members.keys[i] as string)).join(",");
	}
	const parts = sharedText === "" ? own.texts : [sharedText, ...own.texts];
	if (dropped > 0 && !own.keys.includes(DROPPED)) parts.push(`${JSON.stringify(DROPPED)}:${dropped}`);
	const text = `{${parts.join(",")}}`;
	if (text.length <= LIMITS.objectBytes) return { text, clipped: false };
	return { text: fitted(JSON.parse(text) as Record<string, unknown>), clipped: true };
}

/** Metadata past the bound, reduced as a JSON route's is (rare: a request's items over 64 KB of attributes). */
const fitted = (value: Record<string, unknown>) => boundedJson(value, LIMITS.objectBytes, LIMITS.objectDepth).text;
