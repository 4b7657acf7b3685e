// The root postinstall of `npm install` / `npm ci`; plain JavaScript so that it runs on whatever Node runs it.
//
// Under a Node older than 22.12, npm has just printed EBADENGINE warnings for wrangler, vitest, miniflare and a few
// more (they want Node >= 22). npm checks engines against the Node that runs npm itself, but nothing of this project
// runs there: npm scripts and npx put node_modules/.bin first on PATH, where the `node` devDependency is Node 24.
// Say so once, instead of leaving a newcomer to conclude they need another Node.
const npmNode = /\bnode\/v(\d+)\.(\d+)\.\d+/.exec(process.env.npm_config_user_agent ?? "");
if (npmNode) {
	const [major, minor] = [Number(npmNode[1]), Number(npmNode[2])];
	if (major < 22 || (major === 22 && minor < 12)) {
		const v = npmNode[0].slice("node/".length);
		console.log(
			`note: npm ran on Node ${v} and warned (EBADENGINE) about packages that need Node >= 22; none of them runs ` +
				`on it: npm scripts and npx here use Node ${process.version} from node_modules (the "node" devDependency).`,
		);
	}
}
