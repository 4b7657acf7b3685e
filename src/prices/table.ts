import type { ModelPrice, PriceList } from "../ports.ts";
import { type FamilyRef, familyOf } from "./normalise.ts";

/**
 * Providers that bill their own models: their rows price a family wherever it runs (Bedrock, Vertex, Azure and
 * gateways charge the list price). Any other provider in the table is a host billing open-weight models at its own
 * price (Groq, Together): its rows price a family only for records from that host.
 */
const VENDORS = new Set(["openai", "anthropic", "google", "mistral", "deepseek", "xai"]);

/** Raw ids resolved per book, remembered (bounded): a service sends the same few model ids over and over. */
const MEMO_MAX = 1_000;

/** A price list ready to answer: a model id and a time → the row in effect. Immutable once built. */
export class PriceBook {
	readonly version: string;
	/** By family (vendor rows) or `host/family`, each list ordered by effectiveFrom. */
	readonly #rows = new Map<string, ModelPrice[]>();
	/** provider → model → family (null: none); two levels, so a lookup builds no key string. */
	readonly #memo = new Map<string, Map<string, FamilyRef | null>>();
	#memoSize = 0;

	constructor(list: PriceList) {
		this.version = list.version;
		for (const price of list.prices) {
			const key = VENDORS.has(price.provider) ? price.family : `${price.provider}/${price.family}`;
			const rows = this.#rows.get(key);
			if (rows) rows.push(price);
			else this.#rows.set(key, [price]);
		}
		for (const rows of this.#rows.values()) rows.sort((a, b) => a.effectiveFrom - b.effectiveFrom);
	}

	/** The family a raw id is priced as (cached per id and provider), or undefined. */
	family(model: string, provider: string): FamilyRef | undefined {
		let byModel = this.#memo.get(provider);
		let ref = byModel?.get(model);
		if (ref === undefined) {
			ref = familyOf(model, provider, (family, host) => this.#rowsOf(family, host) !== undefined) ?? null;
			if (this.#memoSize >= MEMO_MAX) {
				this.#memo.clear();
				this.#memoSize = 0;
				byModel = undefined;
			}
			if (byModel === undefined) {
				byModel = new Map();
				this.#memo.set(provider, byModel);
			}
			byModel.set(model, ref);
			this.#memoSize++;
		}
		return ref ?? undefined;
	}

	/** The price of a record of `model` from `provider` received at `at` (Unix ms), or undefined when there is none. */
	priceOf(model: string, provider: string, at: number): ModelPrice | undefined {
		const ref = this.family(model, provider);
		const rows = ref && this.#rowsOf(ref.family, ref.host);
		if (!rows) return undefined;
		// The latest row in effect; rows that start later (a scheduled change) wait for their date.
		for (let i = rows.length - 1; i >= 0; i--) {
			const row = rows[i] as ModelPrice;
			if (row.effectiveFrom <= at) return row;
		}
		return undefined;
	}

	/** A host's own rows when it has them, else the vendor's. */
	#rowsOf(family: string, host: string | undefined): ModelPrice[] | undefined {
		return (host === undefined ? undefined : this.#rows.get(`${host}/${family}`)) ?? this.#rows.get(family);
	}
}
