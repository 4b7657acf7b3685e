import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Seeded property tests: 1,000 cases locally, 10,000 in CI (.ci/run); FUZZ_RUNS for longer runs, FUZZ_SEED for others.
const fuzz = { FUZZ_RUNS: process.env.FUZZ_RUNS ?? "1000", FUZZ_SEED: process.env.FUZZ_SEED ?? "20261126" };

export default defineConfig({
	test: {
		// Worker logs (one JSON line per request) only for failing tests.
		silent: "passed-only",
		// CI asks for a JSON report too, to print a one-line summary.
		reporters: process.env.VITEST_JSON_REPORT
			? ["default", ["json", { outputFile: process.env.VITEST_JSON_REPORT }]]
			: ["default"],
		projects: [
			{
				// Dev tooling (the local stack's adapters, migrations, key CLI) on plain Node.
				test: {
					name: "node",
					include: ["test/stack/**/*.test.ts", "test/dev/**/*.test.ts"],
					environment: "node",
					testTimeout: 60_000,
					hookTimeout: 120_000,
				},
			},
			{
				// The worker inside workerd, against the real engines of a stack started for the run.
				plugins: [
					cloudflareTest(async ({ inject }) => ({
						wrangler: { configPath: "./wrangler.toml" },
						miniflare: {
							bindings: {
								...inject("stackEnv"),
								CONTROL_URL: inject("controlUrl"),
								// Locally admitted requests are reported to Redis within 5 ms instead of 1 s: each test
								// request waits for its background work (waitOnExecutionContext), the report included.
								RATE_LIMIT_FLUSH_MS: "5",
								...fuzz,
								// Every 200 is stored (test/worker/acknowledged.test.ts): scenarios per run, and their seed.
								PROPERTY_RUNS: process.env.PROPERTY_RUNS ?? "40",
								PROPERTY_SEED: process.env.PROPERTY_SEED ?? "20261202",
							},
						},
					})),
				],
				test: {
					name: "worker",
					include: ["test/worker/**/*.test.ts"],
					globalSetup: ["./test/global-setup.ts"],
					// One stack serves every file and some tests stop its services: files run one at a time.
					fileParallelism: false,
					testTimeout: 30_000,
					hookTimeout: 60_000,
				},
			},
			{
				// Pure logic (npm run test:unit): in workerd, the runtime it ships to, but with no globalSetup, so no
				// engine starts and files run in parallel.
				plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings: fuzz } })],
				test: {
					name: "unit",
					include: ["test/unit/**/*.test.ts"],
					// Nothing here keeps state between files: one workerd for them all saves a second of startup per file.
					isolate: false,
				},
			},
		],
	},
});
