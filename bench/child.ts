import { spawn } from "node:child_process";

const MARK = "BENCH_RESULT ";

/** A child's result: one marked JSON line on stdout (console.log may be silenced in the child). */
export function emitResult(value: unknown): void {
	process.stdout.write(`\n${MARK}${JSON.stringify(value)}\n`);
}

const children = new Set<ReturnType<typeof spawn>>();

/** Kills the children still running (Ctrl-C, crash). */
export function killChildren(): void {
	for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
}

/** Runs `node [flags] script args` (the Node that runs the bench) and returns its marked result. */
export function runChild<T>(
	script: string,
	args: string[] = [],
	flags: string[] = [],
	timeoutMs = 120_000,
): Promise<T> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ["--experimental-strip-types", "--no-warnings", ...flags, script, ...args], {
			stdio: ["ignore", "pipe", "pipe"],
		});
		children.add(child);
		let out = "";
		let err = "";
		child.stdout.on("data", (d) => {
			out += d;
		});
		child.stderr.on("data", (d) => {
			err += d;
		});
		const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
		child.on("exit", (code, signal) => {
			clearTimeout(timer);
			children.delete(child);
			const line = out.split("\n").find((l) => l.startsWith(MARK));
			if (code === 0 && line) resolve(JSON.parse(line.slice(MARK.length)) as T);
			else {
				const text = err || out;
				// The thrown error's own line first (a stack trace starts with the location, not the message).
				const reason = text.split("\n").find((l) => /^\w*Error\b/.test(l)) ?? "";
				reject(new Error(`${script} exited ${code ?? signal}: ${reason}\n${text.slice(-2000)}`));
			}
		});
	});
}
