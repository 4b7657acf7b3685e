// Firefox and Safari (JavaScriptCore): "fn@file:line:col", "@file:line:col", "fn@[native code]".

import { stripLineCol } from "../paths.ts";
import { jsFrame, normalizeJsFn } from "./js.ts";
import { lineParser, type StackFrame } from "./parser.ts";

const SAFARI_ANON = new Set(["global code", "module code", "eval code"]);

function parseGecko(line: string): StackFrame | null {
	const at = line.indexOf("@");
	if (at < 0) return null;
	let fn = line.slice(0, at);
	const loc = line.slice(at + 1);
	const star = fn.lastIndexOf("*"); // Firefox async markers: "async*fn", "promise callback*fn"
	if (star >= 0) fn = fn.slice(star + 1);
	if (/\s/.test(fn) && !SAFARI_ANON.has(fn)) return null;
	if (loc === "[native code]") return { fn: normalizeJsFn(fn), file: "", inApp: false };
	const path = stripLineCol(loc);
	if (path === loc) return null;
	const ev = path.indexOf(" line "); // Firefox eval: "https://x/app.js line 2 > eval:1:5"
	return jsFrame(fn, ev > 0 && path.includes(" > ", ev) ? path.slice(0, ev) : path);
}

export const gecko = lineParser(parseGecko);
