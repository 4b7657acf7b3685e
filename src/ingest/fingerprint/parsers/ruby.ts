// Ruby: "app/models/user.rb:42:in 'User#name'" (3.4 quotes) or "…:in `name'" (earlier), "from " on later lines.

import { normalizeFile } from "../paths.ts";
import { lineParser, type StackFrame } from "./parser.ts";

export function parseRuby(line: string): StackFrame | null {
	const s = line.startsWith("from ") ? line.slice(5).trimStart() : line;
	const k = s.indexOf(":in ");
	if (k < 0) return null;
	const m = /^(.+):\d+$/.exec(s.slice(0, k));
	const q = s[k + 4];
	if (!m?.[1] || (q !== "'" && q !== "`")) return null;
	const end = s.indexOf("'", k + 5);
	if (end < 0) return null;
	const path = m[1];
	const inApp =
		!/[/\\]gems[/\\]|[/\\]lib[/\\]ruby[/\\]|^<internal:|[/\\]vendor[/\\]bundle[/\\]|[/\\]rubygems[/\\]/.test(path);
	return { fn: s.slice(k + 5, end) || "?", file: path.startsWith("<") ? path : normalizeFile(path), inApp };
}

export const ruby = lineParser(parseRuby);
