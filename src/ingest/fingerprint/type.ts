// The error's type: the first part of what the fingerprint hashes, read from the stack's head or the message.

import { firstLine, MAX_INPUT_CHARS, stackLines } from "./frames.ts";
import { maskMessage } from "./mask.ts";
import { isPython } from "./parsers/python.ts";
import { parseRuby } from "./parsers/ruby.ts";

const TYPE_RE = /^((?:[A-Za-z_$][\w$]*\.)*[A-Z][\w$]*)(?: \[([\w.-]{1,64})\])?(?::|$)/;

export function errorType(errorMessage: string, stackTrace: string): string {
	const head = (stackTrace ?? "").slice(0, MAX_INPUT_CHARS);
	if (isPython(head)) {
		const t = pythonType(stackLines(stackTrace, true));
		if (t) return t;
	}
	return lineType(firstLine(head)) ?? lineType(firstLine(errorMessage ?? "")) ?? "Error";
}

function lineType(line: string): string | null {
	if (line === "") return null;
	if (line.startsWith("panic: ") || line.startsWith("fatal error: ")) return goType(line);
	// Ruby uncaught: "app/models/user.rb:42:in 'User#name': undefined method 'x' for nil (NoMethodError)"
	if (line.includes(":in ") && parseRuby(line)) {
		const m = /\(([A-Z][\w:]{0,200})\)$/.exec(line);
		if (m?.[1]) return m[1];
	}
	const s = line.replace(/^Exception in thread "[^"]*" /, "").replace(/^Uncaught (?:\(in promise\) )?/, "");
	const m = TYPE_RE.exec(s);
	if (!m?.[1]) return null;
	// Node puts the error code in brackets: "Error [ERR_HTTP_HEADERS_SENT]: …"
	return m[2] ? `${m[1]} [${m[2]}]` : m[1];
}

function goType(line: string): string {
	const fatal = line.startsWith("fatal error: ");
	const kind = fatal ? "fatal error" : "panic";
	const rest = line.slice(fatal ? 13 : 7).replace(/ \[recovered[^\]]*\]$/, "");
	// Runtime panics come from a small fixed set of messages, so keep them (masked) to tell them apart;
	// a custom panic value is arbitrary text and its code path already identifies it.
	if (fatal || /^(?:runtime error|interface conversion): |^assignment to entry in nil map/.test(rest)) {
		return `${kind}: ${maskMessage(rest)}`;
	}
	return kind;
}

function pythonType(lines: string[]): string | null {
	// The raised exception is the last unindented "Type: message" line (after any chained tracebacks).
	for (let i = lines.length - 1; i >= 0; i--) {
		const line = (lines[i] ?? "").trimEnd();
		if (line === "" || /^\s/.test(line)) continue;
		const m = TYPE_RE.exec(line);
		if (m?.[1]) return m[1];
	}
	return null;
}
