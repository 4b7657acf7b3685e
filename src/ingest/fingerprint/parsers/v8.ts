// V8 (Node, Chrome, Edge, Deno, Bun, workerd): "    at fn (file:line:col)", "    at file:line:col".
// Frames resolved through source maps (src/sourcemaps/fingerprint.ts) are written in this form too.

import { stripLineCol } from "../paths.ts";
import { jsFrame } from "./js.ts";
import type { StackFrame, StackParser } from "./parser.ts";

// V8 location inside parens, or bare: "file:line:col", "native", "<anonymous>", "index 0", "eval at …".
const V8_SPECIAL_LOC_RE = /^(?:native|<anonymous>|unknown location|index \d+|eval at )/;

/** Every "at …" line is V8's once the JVM (jvm.ts, asked first) has passed on it, even one that gives no frame. */
export const v8: StackParser = (line, _lines, at, frames) => {
	if (!line.startsWith("at ")) return at;
	const f = parseAt(line.slice(3).trim());
	if (f) frames.push(f);
	return at + 1;
};

function parseAt(rest: string): StackFrame | null {
	if (rest === "") return null;
	let fn = "";
	let loc = rest;
	if (rest.endsWith(")")) {
		const open = matchingOpen(rest);
		if (open > 0 && rest[open - 1] === " ") {
			fn = rest.slice(0, open - 1);
			loc = rest.slice(open + 1, -1);
		} else if (open === 0) loc = rest.slice(1, -1);
	}
	if (loc.startsWith("async ")) loc = loc.slice(6);
	const path = stripLineCol(loc);
	if (path === loc && !V8_SPECIAL_LOC_RE.test(loc)) return null;
	if (loc.startsWith("eval at ")) {
		// "eval at fn (file:1:2), <anonymous>:1:1": the eval call site is the meaningful location
		const o = loc.indexOf("(");
		const c = loc.indexOf(")", o);
		return jsFrame(fn, stripLineCol(o > 0 && c > o ? loc.slice(o + 1, c) : ""));
	}
	return jsFrame(fn, path);
}

function matchingOpen(s: string): number {
	const last = s.lastIndexOf("(");
	if (s.indexOf(")") === s.length - 1) return last; // common case: no parens inside the location
	let depth = 0;
	for (let i = s.length - 1; i >= 0; i--) {
		const c = s[i];
		if (c === ")") depth++;
		else if (c === "(" && --depth === 0) return i;
	}
	return -1;
}
