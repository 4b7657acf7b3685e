/**
 * Where a case's request CPU goes: runs it for a few seconds under the V8 sampling profiler (node:inspector)
 * and prints the top functions by self time, and by package.
 *   node --experimental-strip-types bench/profile.ts [case] [seconds]   (cases: see benchCases() in harness.ts)
 */
import { Session } from "node:inspector/promises";
import { inclusiveTimes, type Profile, selfTimes } from "./cpu-profile.ts";
import { benchCases, type Clock, createRunner, silenceConsole } from "./harness.ts";

const name = process.argv[2] ?? "logs50";
const seconds = Number(process.argv[3] ?? 3);
const c = benchCases().find((x) => x.name === name);
if (!c)
	throw new Error(
		`unknown case ${name}: ${benchCases()
			.map((x) => x.name)
			.join(", ")}`,
	);
const log = console.log;
silenceConsole();
const runner = createRunner();
const clock: Clock = { begin() {}, end: () => ({ wall: 0, cpu: null }) };
for (let i = 0; i < 200; i++) await runner.app(c, 1, clock);

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 50 });
await session.post("Profiler.start");
const until = performance.now() + seconds * 1000;
let n = 0;
while (performance.now() < until) {
	await runner.app(c, 8, clock);
	n += 8;
}
const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile };
session.disconnect();

const self = selfTimes(profile);
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
for (const node of profile.nodes) {
	const t = self.get(node.id) ?? 0;
	const { functionName, url, lineNumber } = node.callFrame;
	const file = url.replace(/^file:\/\//, "").replace(`${process.cwd()}/`, "");
	const key = `${functionName || "(anonymous)"}  ${file ? `${file}:${lineNumber + 1}` : ""}`;
	byFn.set(key, (byFn.get(key) ?? 0) + t);
	const pkg =
		/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ??
		(file.startsWith("src/") ? "src" : file.startsWith("bench/") ? "bench" : file ? "node internals" : functionName);
	byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t);
}
const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
log(`${c.label}: ${n} requests in ${seconds} s, ${((total / n) | 0).toLocaleString()} µs sampled per request\n`);
log("self time by package:");
for (const [k, t] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 12)) log(`  ${pct(t)}  ${k}`);
log("\ntop functions by self time:");
for (const [k, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 25)) log(`  ${pct(t)}  ${k}`);

// Inclusive time of the app's own functions and Hono's: where a request's time goes stage by stage.
const inclusive = inclusiveTimes(profile, self, (node) => {
	const { functionName, url, lineNumber } = node.callFrame;
	const file = url.replace(/^file:\/\//, "").replace(`${process.cwd()}/`, "");
	if (!file.startsWith("src/") && !file.includes("node_modules/hono/")) return undefined;
	return `${functionName || "(anonymous)"}  ${file}:${lineNumber + 1}`;
});
log("\ninclusive time of src/ and hono functions (µs per request):");
for (const [k, t] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
	log(`  ${(t / n).toFixed(1).padStart(7)}  ${pct(t)}  ${k}`);
}
