import { parseArgs } from "node:util";
import pg from "pg";
import { loadLocalEnv } from "./local-env.ts";
import { currentRevision, evictCachedPrices, listPrices, readPriceFile, setPrice, writePrices } from "./prices.ts";

const USAGE = `usage (prices in USD per 1M tokens):
  npm run prices -- list
  npm run prices -- set MODEL --input USD --output USD [--cached-input USD|none] [--cache-write USD|none]
                        [--provider P] [--effective DATE] [--source URL]
  npm run prices -- import FILE.json

MODEL is a family (gpt-4o, claude-sonnet-4-5) or host/family for a host's own price of an open-weight model
(groq/llama-3.3-70b). set starts a new price now (or at --effective), keeping the old one for what it priced;
--cached-input and --cache-write default to the current price's. import writes every row of a file in the format
of migrations/model_prices.json (a row of the same provider, family and effective date is replaced).
The worker uses a change within 60 s. Uses DATABASE_URL (and UPSTASH_REDIS_REST_URL/TOKEN to drop Redis's copy)
from the environment, else from the .dev.vars written by \`npm run stack\`.`;

function fail(message: string): never {
	console.error(message);
	process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
const OPTIONS = {
	input: { type: "string" },
	output: { type: "string" },
	"cached-input": { type: "string" },
	"cache-write": { type: "string" },
	provider: { type: "string" },
	effective: { type: "string" },
	source: { type: "string" },
} as const;
function args() {
	try {
		return parseArgs({ args: rest, allowPositionals: true, options: OPTIONS });
	} catch (err) {
		// `--input -1` reads as an unknown option: say what is wrong, with the usage.
		return fail(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
	}
}
const { values, positionals } = args();

/** A price option: a number of USD, or "none" (null) where allowed. */
function usd(name: string, v: string | undefined, optional: boolean): number | null | undefined {
	if (v === undefined) return optional ? undefined : fail(`--${name} is required\n\n${USAGE}`);
	if (optional && v === "none") return null;
	const n = Number(v);
	if (v.trim() === "" || !Number.isFinite(n) || n < 0) fail(`--${name} must be a number of USD per 1M tokens`);
	return n;
}

const env = loadLocalEnv();
if (!command || command === "help" || command === "--help") fail(USAGE);
if (!env.DATABASE_URL) fail("DATABASE_URL is not set: run `npm run stack` (or `npm run dev`) first, or export it.");
const redis = { url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN };

async function evict() {
	try {
		await evictCachedPrices(redis);
	} catch (err) {
		console.error(
			`warning: could not drop Redis's copy (${err instanceof Error ? err.message : err}); it is read again within 60 s`,
		);
	}
}

const db = new pg.Client({ connectionString: env.DATABASE_URL });
await db.connect();
try {
	switch (command) {
		case "list": {
			const rows = await listPrices(db);
			console.table(
				rows.map((r) => ({
					provider: r.provider,
					family: r.family,
					input: r.input,
					output: r.output,
					cached_input: r.cached_input ?? "",
					cache_write: r.cache_write ?? "",
					effective: r.effective_from.toISOString().replace(/T00:00:00\.000Z$/, ""),
					seen: r.seen ?? "",
					source: r.source,
				})),
			);
			console.log(`revision ${await currentRevision(db)} (llm_usage.price_version of the rows it prices)`);
			break;
		}
		case "set": {
			const model = positionals[0];
			if (!model) fail(USAGE);
			const { row, written } = await setPrice(db, {
				model,
				provider: values.provider,
				input: usd("input", values.input, false) as number,
				output: usd("output", values.output, false) as number,
				cachedInput: usd("cached-input", values["cached-input"], true),
				cacheWrite: usd("cache-write", values["cache-write"], true),
				effective: values.effective,
				source: values.source,
			});
			await evict();
			console.log(
				`${row.provider}/${row.family} from ${row.effective}: input ${row.input}, output ${row.output}, cached input ${row.cached_input ?? "as input"}, cache write ${row.cache_write ?? "as input"} (revision ${written.revision}); the worker uses it within 60 s`,
			);
			break;
		}
		case "import": {
			const file = positionals[0];
			if (!file) fail(USAGE);
			const prices = readPriceFile(file);
			const written = await writePrices(db, prices, `import ${file}`, { replace: true });
			if (written.changed > 0) await evict();
			console.log(
				`${written.changed} of ${prices.length} prices added or changed (revision ${written.revision}); the worker uses them within 60 s`,
			);
			break;
		}
		default:
			fail(USAGE);
	}
} catch (err) {
	fail(`prices ${command} failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
	await db.end();
}
