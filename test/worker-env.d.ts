declare namespace Cloudflare {
	interface Env {
		/** Test-only: the loopback control plane of the test stack (see dev/stack/control.ts). */
		CONTROL_URL: string;
		/** The static assets (wrangler.toml [assets]): GET /openapi.json. */
		ASSETS: Fetcher;
		FUZZ_RUNS: string;
		FUZZ_SEED: string;
		PROPERTY_RUNS: string;
		PROPERTY_SEED: string;
	}
}
