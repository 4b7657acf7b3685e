import { parseArgs } from "node:util";
import { deleteRelease, uploadFolder } from "./sourcemaps.ts";

const USAGE = `usage:
  npm run sourcemaps -- upload DIR --release RELEASE [--url URL]
  npm run sourcemaps -- delete --release RELEASE [--url URL]

Uploads every *.map under DIR (node_modules skipped) as the Next.js SDK does: 20 a request, each named by its
path relative to DIR (for a Next.js app, DIR is .next). The key comes from DEEPTRACER_KEY (never an argument:
it would be left in shell history); the URL from --url, else DEEPTRACER_URL, else http://127.0.0.1:8787.`;

function fail(message: string): never {
	console.error(message);
	process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
const { values, positionals } = parseArgs({
	args: rest,
	allowPositionals: true,
	options: { release: { type: "string" }, url: { type: "string" } },
});
const key = process.env.DEEPTRACER_KEY ?? fail(`DEEPTRACER_KEY is not set\n\n${USAGE}`);
const release = values.release ?? fail(`--release is required\n\n${USAGE}`);
const url = values.url ?? process.env.DEEPTRACER_URL ?? "http://127.0.0.1:8787";

try {
	if (command === "upload") {
		const dir = positionals[0] ?? fail(USAGE);
		const { stored, refused } = await uploadFolder({ dir, release, url, key, log: (l) => console.error(l) });
		console.log(`stored ${stored} source maps for release ${release}${refused > 0 ? ` (${refused} refused)` : ""}`);
	} else if (command === "delete") {
		await deleteRelease({ release, url, key });
		console.log(`deleted the source maps of release ${release}`);
	} else fail(USAGE);
} catch (err) {
	console.error(err instanceof Error ? err.message : String(err));
	process.exit(1);
}
