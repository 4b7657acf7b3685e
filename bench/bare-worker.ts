import { createBareApp } from "./bare-app.ts";

/** The bare worker served next to the real one (end-to-end baseline, startup baseline). */
const app = createBareApp();

export default { fetch: app.fetch };
