import type { AppDeps } from "../src/http/app-env.ts";

export interface BenchApp {
	fetch(request: Request, env?: object, executionCtx?: object): Response | Promise<Response>;
}

export declare function createApp(deps: AppDeps): BenchApp;
