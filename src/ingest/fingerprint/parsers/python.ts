// Python: 'File "app/views.py", line 42, in handler', each followed by the source line it echoes.

import { normalizeFile } from "../paths.ts";
import type { StackFrame, StackParser } from "./parser.ts";

/** A traceback, told from its start; it is printed "most recent call last", so it is read from its end. */
export function isPython(head: string): boolean {
	return head.includes("Traceback (most recent call last):") || /^\s*File "/.test(head);
}

/** A 'File "…"' line, and after a frame the source line it echoes (unless that line is the next frame). */
export const python: StackParser = (line, lines, at, frames) => {
	if (!line.startsWith('File "')) return at;
	const f = parsePython(line);
	if (f === null) return at + 1;
	frames.push(f);
	let next = at + 1;
	while (next < lines.length && (lines[next] ?? "").trim() === "") next++;
	if (next < lines.length && !(lines[next] ?? "").trim().startsWith('File "')) next++;
	return next;
};

const PY_RE = /^File "([^"]*)", line \d+(?:, in (.+))?$/;

function parsePython(line: string): StackFrame | null {
	const m = PY_RE.exec(line);
	if (m?.[1] === undefined) return null;
	const path = m[1];
	const inApp = !/site-packages|dist-packages|[/\\]lib[/\\]python\d|[/\\]Lib[/\\]|^</.test(path);
	return { fn: (m[2] ?? "").trim() || "?", file: path.startsWith("<") ? path : normalizeFile(path), inApp };
}
