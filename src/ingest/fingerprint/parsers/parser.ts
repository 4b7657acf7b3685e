// The interface every platform's parser (this folder) implements, and the adapter for one-frame-per-line formats.

/** A frame as the fingerprint reads it: function, project-relative file, and whether it is the application's code. */
export interface StackFrame {
	fn: string;
	file: string;
	inApp: boolean;
}

/**
 * One platform's stack format (this folder), asked about each non-empty line: `line` trimmed, `lines[at]` as sent.
 * When the line is its format's, it appends the frames it reads to `frames` and returns the index of the first
 * line it did not use (past `at`); otherwise it returns `at` and the next parser is asked. A line is claimed even
 * when it gives no frame ("at …" that does not parse is not tried as Ruby). Multi-line formats (Go's
 * function/file pairs and goroutines, Python's echoed source line) take their following lines this way.
 */
export type StackParser = (line: string, lines: readonly string[], at: number, frames: StackFrame[]) => number;

/** A format of one frame per line that claims only the lines it reads a frame from. */
export function lineParser(read: (line: string) => StackFrame | null): StackParser {
	return (line, _lines, at, frames) => {
		const f = read(line);
		if (f === null) return at;
		frames.push(f);
		return at + 1;
	};
}
