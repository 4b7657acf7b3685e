// The worker's entry, for the cost section's counting wrapper (bench/cost-worker.ts). Re-exported from a .js file
// (typed by src-worker.d.ts) for the same reason as src-app.js.
export { default } from "../src/index.ts";
