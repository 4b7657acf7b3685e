/**
 * The worker's `Env` (declared by worker-configuration.d.ts for the worker program) for the Node-side
 * typecheck of bench/, which imports the app: the bench passes plain string settings.
 */
interface Env {
	[name: string]: unknown;
}
