import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Seeded property tests: 1,000 cases locally, 10,000 in CI (.ci/run); FUZZ_RUNS for longer runs, FUZZ_SEED for others.
const fuzz = { FUZZ_RUNS: process.env.FUZZ_RUNS ?? "1000", FUZZ_SEED: process.env.FUZZ_SEED ?? "20261126" };

export default defineConfig({
	test: {
		// Worker logs (one JSON line per request) only for failing tests.
		silent: "passed-only",
		// Vitest's default on 2 cores is one worker, which runs the three projects one after another. Most test time
		// is waiting (on the engines, on replays, on wrangler dev): the worker project's files (one at a time, as
		// they share a stack) run beside the node project's and the unit tier.
		maxWorkers: 3,
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
						// No --verbose for workerd: it printed an internal stack trace for every refused connection (the
						// outage tests stop services on purpose), thousands of lines in a green run. Errors of the worker
						// still fail their test, and its console output still shows for a failing one.
						verbose: false,
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
					// One stack serves every file and some tests stop its services: files run one at a time, in one
					// workerd (a worker per file cost two seconds of startup each). Module state therefore outlives a file:
					// tests use keys, projects and client addresses of their own, and reset the isolate caches they test.
					fileParallelism: false,
					isolate: false,
					// Vitest runs a project of one file at a time in a phase of its own: after the other two.
					sequence: { groupOrder: 1 },
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
					// Pure logic, and the routes over in-memory services (test/support/): the real app, no engine.
					include: ["test/unit/**/*.test.ts", "test/routes/**/*.test.ts"],
					// Nothing here keeps state between files: one workerd for them all saves a second of startup per file.
					isolate: false,
					// The property tests take seconds of CPU; a loaded machine must not turn that into a failure.
					testTimeout: 60_000,
				},
			},
		],
	},
});
