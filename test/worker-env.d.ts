declare namespace Cloudflare {
	interface Env {
		/** Test-only: the loopback control plane of the test stack (see dev/stack/control.ts). */
		CONTROL_URL: string;
		FUZZ_RUNS: string;
		FUZZ_SEED: string;
	}
}
