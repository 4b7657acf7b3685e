/**
 * Where a case's request time goes inside workerd: bench/workerd-bench.ts under wrangler's dev server with the
 * V8 inspector on, sampled while it runs the case for a few seconds; prints self and inclusive time per function.
 *   node --experimental-strip-types bench/profile-workerd.ts [case] [seconds]
 */
import { join } from "node:path";
import { startBenchWorker, workerJson } from "./bench-worker.ts";
import { compatibilityDate } from "./bundle.ts";
import { benchCases } from "./cases.ts";
import { inclusiveTimes, type Profile, type ProfileNode, selfTimes } from "./cpu-profile.ts";

const name = process.argv[2] ?? "log1";
const seconds = Number(process.argv[3] ?? 5);
if (!benchCases().some((c) => c.name === name)) throw new Error(`unknown case ${name}`);
const port = 9300 + Math.floor(Math.random() * 500);

const worker = await startBenchWorker({
	entrypoint: join(import.meta.dirname, "workerd-bench.ts"),
	compatibilityDate: compatibilityDate(),
	minify: false,
	inspectorPort: port,
});
try {
	const call = (path: string) => workerJson<{ app: number }>(worker, path);
	const k = await call(`/calibrate?case=${name}&batchMs=50`);
	const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string }[];
	const url = targets[0]?.webSocketDebuggerUrl;
	if (!url) throw new Error("no inspector target");
	// The inspector proxy admits DevTools' origin (a bare WebSocket without one is refused).
	// (Node's WebSocket takes headers as an undici extension.)
	const init = { headers: { Origin: "https://devtools.devprod.cloudflare.dev" } } as unknown as string[];
	const ws = new WebSocket(url, init);
	await new Promise((resolve, reject) => {
		ws.onopen = resolve;
		ws.onerror = reject;
	});
	let nextId = 1;
	const pending = new Map<number, (v: unknown) => void>();
	ws.onmessage = (m) => {
		const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
		if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
	};
	const send = (method: string, params: object = {}) =>
		new Promise<unknown>((resolve) => {
			const id = nextId++;
			pending.set(id, resolve);
			ws.send(JSON.stringify({ id, method, params }));
		});
	await send("Profiler.enable");
	await send("Profiler.setSamplingInterval", { interval: 50 });
	await send("Profiler.start");
	const until = performance.now() + seconds * 1000;
	let n = 0;
	while (performance.now() < until) {
		await call(`/round?case=${name}&app=${k.app}&floor=1&r=0`);
		n += k.app;
	}
	const { profile } = (await send("Profiler.stop")) as { profile: Profile };
	ws.close();

	const self = selfTimes(profile);
	const total = [...self.values()].reduce((a, b) => a + b, 0);
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const key = (node: ProfileNode) => `${node.callFrame.functionName || "(anonymous)"}:${node.callFrame.lineNumber + 1}`;
	const selfBy = new Map<string, number>();
	for (const [id, t] of self) {
		const node = byId.get(id);
		if (node) selfBy.set(key(node), (selfBy.get(key(node)) ?? 0) + t);
	}
	const inclusive = inclusiveTimes(profile, self, key);
	const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
	console.log(
		`${name}: ${n} requests in ${seconds} s, ${(total / n).toFixed(1)} µs sampled per request (app batches only)\n`,
	);
	console.log("self time:");
	for (const [k2, t] of [...selfBy].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${pct(t)}  ${k2}`);
	console.log("\ninclusive time (µs per request):");
	for (const [k2, t] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 45)) {
		console.log(`  ${(t / n).toFixed(1).padStart(7)}  ${pct(t)}  ${k2}`);
	}
} finally {
	await worker.dispose();
}
