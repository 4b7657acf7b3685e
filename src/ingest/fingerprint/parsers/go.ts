// Go: a "goroutine N [status]:" header, then per frame a function line and an indented "file:line +0x…" line.

import { normalizeFile, stripLineCol } from "../paths.ts";
import type { StackFrame, StackParser } from "./parser.ts";

const GOROUTINE_RE = /^goroutine \d+ \[/;

/** From the first goroutine header, the frames of that goroutine: the one that panicked is the code path. */
export const go: StackParser = (line, lines, at, frames) => {
	if (!line.startsWith("goroutine ") || !GOROUTINE_RE.test(line)) return at;
	for (let i = at + 1; i < lines.length; i++) {
		const raw = lines[i] ?? "";
		const fnLine = raw.trim();
		if (fnLine === "") continue;
		if (fnLine.startsWith("goroutine ") && GOROUTINE_RE.test(fnLine)) break;
		const next = lines[i + 1];
		if (next !== undefined && /^\s/.test(next) && !/^\s/.test(raw)) {
			const f = parseGo(fnLine, next.trim());
			if (f) {
				frames.push(f);
				i++;
			}
		}
	}
	return lines.length; // every other goroutine is a bystander
};

// Go top-level packages from the standard library (a module path has a dot in its first element, or is main).
const GO_STD = new Set(
	"archive bufio bytes cmp compress container context crypto database debug embed encoding errors expvar flag fmt go hash html image internal io iter log maps math mime net os path plugin reflect regexp runtime slices sort strconv strings structs sync syscall testing text time unicode unique unsafe weak".split(
		" ",
	),
);

function parseGo(fnLine: string, fileLine: string): StackFrame | null {
	let fn: string;
	if (fnLine.startsWith("created by ")) fn = fnLine.slice(11).replace(/ in goroutine \d+$/, "");
	else {
		if (!fnLine.endsWith(")")) return null;
		const open = fnLine.lastIndexOf("(");
		if (open <= 0) return null;
		fn = fnLine.slice(0, open);
	}
	const path = stripLineCol(fileLine.replace(/ \+0x[0-9a-f]+$/, ""));
	if (!path.endsWith(".go")) return null;
	const slash = fn.lastIndexOf("/");
	const dot = fn.indexOf(".", slash + 1);
	const pkg = dot < 0 ? fn : fn.slice(0, dot);
	const top = pkg.split("/")[0] ?? "";
	const inApp = !(fn === "panic" || GO_STD.has(top) || path.includes("/pkg/mod/") || /@v\d/.test(path));
	return { fn, file: normalizeFile(path), inApp };
}
