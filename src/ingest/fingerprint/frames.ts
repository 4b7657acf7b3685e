// The parse loop: a stack split into bounded lines, each line read by the first platform parser that claims it.

import { gecko } from "./parsers/gecko.ts";
import { go } from "./parsers/go.ts";
import { jvm } from "./parsers/jvm.ts";
import type { StackFrame, StackParser } from "./parsers/parser.ts";
import { isPython, python } from "./parsers/python.ts";
import { ruby } from "./parsers/ruby.ts";
import { v8 } from "./parsers/v8.ts";

// Bounds: input is capped and every parser is anchored or scanned by hand, so work is linear in the stack.
export const MAX_INPUT_CHARS = 64 * 1024;
const MAX_LINES = 256;
const MAX_LINE_CHARS = 2048;

/** Asks the parsers about each line in order; the first that claims it reads it (sentry-javascript's shape). */
export function createStackParser(...parsers: StackParser[]): (lines: readonly string[]) => StackFrame[] {
	return (lines) => {
		const frames: StackFrame[] = [];
		let i = 0;
		while (i < lines.length) {
			const line = (lines[i] ?? "").trim();
			let next = i;
			if (line !== "") {
				for (const parser of parsers) {
					next = parser(line, lines, i, frames);
					if (next !== i) break;
				}
			}
			i = next > i ? next : i + 1;
		}
		return frames;
	};
}

/** The stack's lines, bounded: from the start, or from the end for stacks printed "most recent call last". */
export function stackLines(stack: string, fromEnd: boolean): string[] {
	const text = fromEnd ? stack.slice(-MAX_INPUT_CHARS) : stack.slice(0, MAX_INPUT_CHARS);
	const lines = text.split("\n"); // a trailing "\r" goes with the trim of each line
	const kept = fromEnd ? lines.slice(-MAX_LINES) : lines.slice(0, MAX_LINES);
	return kept.map((l) => (l.length > MAX_LINE_CHARS ? l.slice(0, MAX_LINE_CHARS) : l));
}

export function firstLine(text: string): string {
	const s = text.slice(0, MAX_LINE_CHARS * 4).trimStart();
	const nl = s.search(/\r?\n/);
	return (nl < 0 ? s : s.slice(0, nl)).slice(0, MAX_LINE_CHARS).trim();
}

/** Every platform, in the order each line is offered to them (the JVM before V8: both print "at …"). */
const parseLines = createStackParser(go, jvm, v8, python, ruby, gecko);

/** A stack's frames in printed order; `recentLast` when it is printed "most recent call last" (Python). */
export function parseFrames(stack: string): { frames: StackFrame[]; recentLast: boolean } {
	const python = isPython(stack.slice(0, MAX_INPUT_CHARS));
	return { frames: parseLines(stackLines(stack, python)), recentLast: python };
}
