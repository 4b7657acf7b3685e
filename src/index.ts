import { createApp } from "./app.ts";
import { loadConfig } from "./config.ts";
import { replaySpill } from "./delivery/replay.ts";
import { isolateServices } from "./services/index.ts";

const app = createApp({ createServices: isolateServices });

export default {
	fetch: app.fetch,

	/** Every minute (wrangler.toml crons): replays what the spill holds into ClickHouse. */
	async scheduled(_controller, env, ctx) {
		const loaded = loadConfig(env);
		if (!loaded.ok) {
			console.error(JSON.stringify({ outcome: "misconfigured", problems: loaded.problems }));
			return;
		}
		const work = replaySpill(isolateServices(loaded.config)).then((report) => {
			const line = JSON.stringify({ route: "scheduled:replay", ...report });
			if (report.error) console.error(line);
			else console.log(line);
		});
		ctx.waitUntil(work);
		await work;
	},
} satisfies ExportedHandler<Env>;
