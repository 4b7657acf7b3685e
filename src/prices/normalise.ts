// Model id → price family. Peers' pitfalls decide the shape (research: /work/scratch/prices/normalisation.md):
// longest-prefix matching prices gpt-4o-mini as gpt-4o and claude-opus-4-5 as claude-opus-4, and stripping every
// date prices gpt-4o-2024-05-13 (a snapshot of its own price) as gpt-4o. So an id is cleaned of what never changes
// the price (route and resource prefixes, Bedrock and Vertex wrappers, case), then only harmless suffixes are
// stripped one at a time (a date, -latest, xAI's mode and version, Gemini's -00N), and after each step the id must
// name a family exactly, through the alias table or as it is. Anything else has no family: it is not priced.

/** A family and, for models billed by whoever hosts them (open-weight Llama), the host. */
export interface FamilyRef {
	family: string;
	host: string | undefined;
}

/** Whether the price table has this family (for this host, when one is given). */
type KnownFamily = (family: string, host: string | undefined) => boolean;

/** Longest id considered: the contract bounds `model` at 256 characters; this keeps the work constant. */
const MAX_ID = 256;

/** Gateways and SDK route prefixes (`openai/gpt-4o`, `groq/llama-…`): one is stripped; some name the host. */
const ROUTES: Record<string, string | undefined> = {
	openai: undefined,
	anthropic: undefined,
	google: undefined,
	googleai: undefined,
	gemini: undefined,
	vertex_ai: undefined,
	"x-ai": undefined,
	xai: undefined,
	deepseek: undefined,
	mistral: undefined,
	mistralai: undefined,
	azure: "azure",
	bedrock: "bedrock",
	openrouter: "openrouter",
	groq: "groq",
	together: "together",
	together_ai: "together",
	fireworks_ai: "fireworks",
};

/** Model publishers' prefixes of Hugging Face style ids (`meta-llama/Llama-3.3-70B-Instruct-Turbo`). */
const PUBLISHERS = new Set(["meta-llama", "mistralai", "deepseek-ai", "google", "openai", "anthropic", "x-ai", "xai"]);

/** The record's provider as a host (only hosts that bill open-weight models by themselves matter). */
const HOSTS: Record<string, string> = {
	groq: "groq",
	together: "together",
	together_ai: "together",
	togetherai: "together",
	"together.ai": "together",
	fireworks: "fireworks",
	fireworks_ai: "fireworks",
	"fireworks-ai": "fireworks",
	bedrock: "bedrock",
	"aws.bedrock": "bedrock",
	"amazon-bedrock": "bedrock",
	openrouter: "openrouter",
};

/**
 * Ids whose price is another family's, checked before each suffix is stripped (so a dated snapshot with a price of
 * its own, a family in the table, is found as itself first). Sources: the research's example table (LF = Langfuse,
 * GP = pydantic/genai-prices price files), each a spelling a peer prices as that family.
 */
const ALIASES: Record<string, string> = {
	// OpenAI
	"o1-preview": "o1", // LF, GP: o1's price
	"o3-mini-high": "o3-mini", // router effort suffix (GP)
	"o3-mini-low": "o3-mini",
	"o3-mini-medium": "o3-mini",
	"gpt-5-chat-latest": "gpt-5", // LF: same price on the model page
	"gpt-5-codex": "gpt-5", // GP
	"gpt-5.1-chat-latest": "gpt-5.1", // GP
	"gpt-5.1-codex": "gpt-5.1", // GP
	"gpt-5.1-codex-max": "gpt-5.1", // GP
	"gpt-5.2-chat-latest": "gpt-5.2", // GP
	"gpt-5.2-codex": "gpt-5.2", // GP
	"gpt-5-5": "gpt-5.5", // dash spelling of some gateways (GP)
	"gpt-5.6": "gpt-5.6-sol", // GP: the bare name is sol
	"gpt-4-0613": "gpt-4", // LF: gpt-4 (8k) snapshot
	"gpt-4-turbo-preview": "gpt-4-turbo", // LF
	"gpt-4-0125-preview": "gpt-4-turbo", // LF
	"gpt-4-1106-preview": "gpt-4-turbo", // LF
	"gpt-3.5-turbo-0125": "gpt-3.5-turbo", // LF (older snapshots are priced differently: no alias)
	// Anthropic (after dots became dashes: claude-3.5-sonnet → claude-3-5-sonnet)
	"claude-sonnet-4-0": "claude-sonnet-4",
	"claude-opus-4-0": "claude-opus-4",
	"claude-4-sonnet": "claude-sonnet-4", // old word order (GP)
	"claude-4-opus": "claude-opus-4",
	// Google
	"gemini-2.5-pro-preview-06-05": "gemini-2.5-pro", // GP: same price
	"gemini-2.5-flash-lite-preview-06-17": "gemini-2.5-flash-lite",
	"gemini-3.1-flash-lite-preview": "gemini-3.1-flash-lite", // LF, GP: the preview ids
	// Mistral: four-digit version codes name different models at different prices, so each is listed
	"mistral-large-2512": "mistral-large-3",
	"mistral-large-latest": "mistral-large-3", // points at Large 3 since it shipped (research: not re-verified)
	"mistral-large-2411": "mistral-large-2",
	"mistral-large-2407": "mistral-large-2",
	"mistral-medium-2505": "mistral-medium-3",
	"mistral-medium-2508": "mistral-medium-3",
	"mistral-medium-latest": "mistral-medium-3-5", // lava.so lists -latest at Medium 3.5's price
	"mistral-small-2503": "mistral-small-3",
	"mistral-small-2506": "mistral-small-3",
	"mistral-small-2603": "mistral-small-4",
	"codestral-2501": "codestral",
	"codestral-2508": "codestral",
	"devstral-2512": "devstral-2",
	"ministral-14b-2512": "ministral-3-14b",
};

/** Host spellings of Llama ids: `llama-3.3-70b-versatile` (Groq), `Meta-Llama-3.1-8B-Instruct-Turbo` (Together). */
const LLAMA =
	/^(?:meta-)?llama-(\d{1,2}(?:\.\d{1,2})?)-(\d{1,4}b)(?:-(?:versatile|instant|instruct|instruct-turbo|turbo))?$/;
const LLAMA4 = /^(?:meta-)?llama-4-(scout|maverick)(?:-17b-\d{1,3}e)?(?:-instruct)?(?:-fp8)?$/;

function alias(id: string): string {
	const named = ALIASES[id];
	if (named !== undefined) return named;
	if (id.includes("llama")) {
		const l = LLAMA.exec(id);
		if (l) return `llama-${l[1]}-${l[2]}`;
		const l4 = LLAMA4.exec(id);
		if (l4) return `llama-4-${l4[1]}`;
	}
	return id;
}

const BEDROCK = /^(?:(?:us|eu|apac|au|jp|global|us-gov)\.)?(anthropic|meta|mistral)\.(.+)$/;
const BEDROCK_VERSION = /(?:-v\d{1,3}(?::\d{1,3})?|:\d{1,3})$/;
const VERTEX_VERSION = /(?:-v\d{1,3})?@[a-z0-9.-]*$/;
const DATE = /-(?:\d{4}-\d{2}-\d{2}|\d{8})$/;
const LATEST = /-latest$/;
const GROK_MODE = /^(grok-.+?)-(?:non-)?reasoning$/;
const GROK_VERSION = /^(grok-.+)-\d{4}$/;
const GEMINI_VERSION = /^(gemini-.+)-\d{3}$/;

/** The suffixes stripped, in order, each only when present; none of them changes a price. */
const HARMLESS: ((id: string) => string)[] = [
	(id) => id.replace(DATE, ""),
	(id) => id.replace(LATEST, ""),
	(id) => id.replace(GROK_MODE, "$1"),
	(id) => id.replace(GROK_VERSION, "$1"),
	(id) => id.replace(GEMINI_VERSION, "$1"),
];

/** The record's provider as the host that bills (`openai.chat` → `openai`; `together_ai` → `together`). */
function hostOf(provider: string): string | undefined {
	const p = provider.trim().toLowerCase();
	return HOSTS[p] ?? HOSTS[p.split(".", 1)[0] as string];
}

/**
 * The family (and host) a raw model id is priced as, or undefined when none may be assumed. `provider` is the
 * record's (it names the host of open-weight models); `known` asks the price table.
 */
export function familyOf(model: string, provider: string, known: KnownFamily): FamilyRef | undefined {
	if (model.length > MAX_ID) return undefined;
	let id = model.trim().toLowerCase();
	// Fine-tuned models have prices of their own.
	if (id === "" || id.startsWith("ft:")) return undefined;
	let host = hostOf(provider);

	// Resource names: `models/x` (Gemini REST), `publishers/google/models/x`, `accounts/fireworks/models/x`.
	if (id.startsWith("accounts/fireworks/")) host = "fireworks";
	const models = id.lastIndexOf("models/");
	if (models === 0 || (models > 0 && id[models - 1] === "/")) id = id.slice(models + "models/".length);

	const slash = id.indexOf("/");
	if (slash > 0) {
		const route = id.slice(0, slash);
		if (route in ROUTES) {
			host = ROUTES[route] ?? host;
			id = id.slice(slash + 1);
		}
		const publisher = id.indexOf("/");
		if (publisher > 0 && PUBLISHERS.has(id.slice(0, publisher))) id = id.slice(publisher + 1);
		if (id.includes("/")) return undefined; // an Azure deployment name, an unknown route: nothing to assume
	}

	const bedrock = BEDROCK.exec(id);
	if (bedrock) {
		id = (bedrock[2] as string).replace(BEDROCK_VERSION, "");
		// Bedrock bills Claude at Anthropic's list price; Llama and Mistral at prices of its own.
		if (bedrock[1] !== "anthropic") host = "bedrock";
	}
	id = id.replace(VERTEX_VERSION, "");
	if (id.startsWith("claude-")) id = id.replace(/(\d)\.(\d)/g, "$1-$2");

	const found = (candidate: string): FamilyRef | undefined => {
		const family = alias(candidate);
		return known(family, host) ? { family, host } : undefined;
	};
	let hit = found(id);
	for (let i = 0; hit === undefined && i < HARMLESS.length; i++) {
		const stripped = (HARMLESS[i] as (id: string) => string)(id);
		if (stripped === id) continue;
		id = stripped;
		hit = found(id);
	}
	return hit;
}
