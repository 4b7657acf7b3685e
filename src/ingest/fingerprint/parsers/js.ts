// What V8 and Gecko/Safari frames share: function names and which files are the application's.

import { normalizeFile } from "../paths.ts";
import type { StackFrame } from "./parser.ts";

export function jsFrame(fn: string, path: string): StackFrame {
	const native =
		path === "" ||
		path === "native" ||
		path === "<anonymous>" ||
		path === "unknown location" ||
		path.startsWith("index ");
	return { fn: normalizeJsFn(fn), file: native ? "" : normalizeFile(path), inApp: !native && jsInApp(path) };
}

const JS_ANON = new Set(["", "<anonymous>", "anonymous", "global code", "module code", "eval code"]);

export function normalizeJsFn(raw: string): string {
	let f = raw.trim();
	if (f.startsWith("async ")) f = f.slice(6);
	if (f.startsWith("new ")) f = f.slice(4);
	if (f.endsWith("]")) f = f.replace(/ \[as [^\]]*\]$/, ""); // V8 alias: "Object.handle [as handler]"
	if (f.startsWith("Object.")) f = f.slice(7); // V8 receiver noise: "Object.<anonymous>", "Object.fetch"
	if (f.endsWith("<")) f = f.replace(/(?:\/<)+$/, "").replace(/<$/, ""); // Firefox inner functions: "outer/<"
	return JS_ANON.has(f) ? "?" : f;
}

// Runtime internals, browser extensions and public module CDNs (Deno and browser imports).
const JS_NOT_APP_PREFIX_RE =
	/^(?:(?:node|ext|bun|deno|internal|native|cloudflare-internal|node-internal|wasm):|(?:chrome|resource|chrome-extension|moz-extension|safari-extension|safari-web-extension|webkit-masked-url):\/\/|https?:\/\/(?:deno\.land|jsr\.io|esm\.sh|unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com|cdn\.skypack\.dev|ga\.jspm\.io)\/|internal\/)/;

function jsInApp(path: string): boolean {
	return !(
		JS_NOT_APP_PREFIX_RE.test(path) ||
		path.includes("node_modules") ||
		path.includes("webpack/bootstrap") ||
		path.includes("webpack/runtime") ||
		path.includes("/.wrangler/")
	);
}
