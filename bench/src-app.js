// The app under test. Re-exported from a .js file (typed by src-app.d.ts) so that the Node-side typecheck of
// bench/ (tsconfig.node.json, DOM + Node libs) does not walk into src/, which is typechecked for Workers.
export { createApp } from "../src/app.ts";
