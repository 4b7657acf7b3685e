/**
 * Part 2: the bundle `wrangler deploy --dry-run` produces (minified, gzipped; contributors per package from
 * the esbuild metafile) and the worker's startup time, profiled in workerd by `wrangler check startup`
 * (it imports the bundle's main module inside a request under the V8 profiler; "active" = sampled time
 * minus idle: compilation + top-level evaluation, GC included).
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { median } from "./stats.ts";

export const ROOT = join(import.meta.dirname, "..");

const running = new Set<ReturnType<typeof spawn>>();

/** Stops the wrangler commands this bench started and still running (Ctrl-C): each one's own process group only. */
export function killWranglerCommands(): void {
	for (const child of running) if (child.exitCode === null) killGroup(child, "SIGTERM");
}

function killGroup(child: ReturnType<typeof spawn>, signal: NodeJS.Signals): void {
	try {
		// npx → wrangler → workerd: the group holds them all, and nothing another engineer started.
		if (child.pid !== undefined) process.kill(-child.pid, signal);
	} catch {
		child.kill(signal);
	}
}

/** Runs `npx wrangler …` in the project and returns its output; rejects on a non-zero exit. */
export function wrangler(args: string[], timeoutMs = 120_000): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn("npx", ["wrangler", ...args], {
			cwd: ROOT,
			detached: true,
			stdio: ["ignore", "pipe", "pipe"],
			env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
		});
		running.add(child);
		let out = "";
		child.stdout.on("data", (d) => {
			out += d;
		});
		child.stderr.on("data", (d) => {
			out += d;
		});
		const timer = setTimeout(() => killGroup(child, "SIGTERM"), timeoutMs);
		child.on("exit", (code) => {
			clearTimeout(timer);
			running.delete(child);
			if (code === 0) resolve(out);
			else reject(new Error(`wrangler ${args.join(" ")} exited ${code}:\n${out.slice(-3000)}`));
		});
	});
}

export interface Contributor {
	name: string;
	bytes: number;
}

export interface BundleReport {
	/** What wrangler printed: "Total Upload: … KiB / gzip: … KiB". */
	wranglerLine: string;
	/** The main module, minified, as deployed. */
	bytes: number;
	/** gzip level 9 of that module (what the size limit is measured on, up to the compressor). */
	gzipBytes: number;
	packages: Contributor[];
	files: Contributor[];
	/** The multipart upload, for `wrangler check startup`. */
	workerBundle: string;
	mainModule: string;
}

/** `wrangler deploy --dry-run` with the given config into outDir; sizes and per-package contributors. */
export async function buildBundle(outDir: string, config?: string): Promise<BundleReport> {
	const metafile = join(outDir, "meta.json");
	const workerBundle = join(outDir, "worker.bundle");
	const out = await wrangler([
		"deploy",
		"--dry-run",
		...(config ? ["--config", config] : ["--env", ""]),
		"--outdir",
		join(outDir, "dist"),
		"--metafile",
		metafile,
		"--outfile",
		workerBundle,
	]);
	const wranglerLine = /Total Upload:[^\n]*/.exec(out)?.[0]?.trim() ?? "(not printed)";
	const meta = JSON.parse(readFileSync(metafile, "utf8")) as {
		outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }>; entryPoint?: string }>;
	};
	const [outPath, output] = Object.entries(meta.outputs).find(([k]) => k.endsWith(".js")) ?? [];
	if (!outPath || !output) throw new Error("no JavaScript output in the metafile");
	// Metafile paths are relative to the project of the config (esbuild's working directory).
	const mainModule = resolve(config ? dirname(config) : ROOT, outPath);
	const code = readFileSync(mainModule);
	const packages = new Map<string, number>();
	const files: Contributor[] = [];
	for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
		const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
		const name =
			pkg ?? (input.startsWith("src/") ? "src/ (the worker)" : input.startsWith("bench/") ? "bench/" : input);
		packages.set(name, (packages.get(name) ?? 0) + bytesInOutput);
		files.push({ name: input.replace(/^.*node_modules\//, ""), bytes: bytesInOutput });
	}
	return {
		wranglerLine,
		bytes: code.byteLength,
		gzipBytes: gzipSync(code, { level: 9 }).byteLength,
		packages: [...packages].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes),
		files: files.sort((a, b) => b.bytes - a.bytes).slice(0, 12),
		workerBundle,
		mainModule: relative(ROOT, mainModule),
	};
}

/** A wrangler config for the bare worker, written into dir. */
export function bareConfig(dir: string, compatibilityDate: string): string {
	const path = join(dir, "wrangler.toml");
	writeFileSync(
		path,
		`name = "bench-bare"\nmain = ${JSON.stringify(join(ROOT, "bench/bare-worker.ts"))}\ncompatibility_date = "${compatibilityDate}"\nminify = true\n`,
	);
	return path;
}

export function compatibilityDate(): string {
	return (
		/^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(join(ROOT, "wrangler.toml"), "utf8"))?.[1] ?? "2026-11-01"
	);
}

interface CpuProfile {
	nodes: { id: number; callFrame: { functionName: string } }[];
	samples?: number[];
	timeDeltas?: number[];
}

/** Active (non-idle) sampled time of a startup profile, in ms (the summary `wrangler check startup` prints). */
function activeMs(profile: CpuProfile): number {
	const names = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
	let active = 0;
	for (const [i, dt] of (profile.timeDeltas ?? []).entries()) {
		if (names.get(profile.samples?.[i] ?? 0) !== "(idle)") active += dt;
	}
	return active / 1000;
}

/** Startup: median ms of active CPU while importing the main module in workerd, over `runs` profiles. */
export async function startupMs(
	workerBundle: string,
	outDir: string,
	runs: number,
): Promise<{ ms: number; runs: number[] }> {
	const samples: number[] = [];
	for (let i = 0; i < runs; i++) {
		const outfile = join(outDir, `startup-${i}.cpuprofile`);
		await wrangler(["check", "startup", "--worker", workerBundle, "--outfile", outfile]);
		samples.push(activeMs(JSON.parse(readFileSync(outfile, "utf8")) as CpuProfile));
	}
	return { ms: median(samples), runs: samples };
}
