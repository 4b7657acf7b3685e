// Stands in for @upstash/core-analytics (wrangler.toml [alias]): @upstash/ratelimit imports it but only
// constructs it with `analytics: true`, which this worker never sets (src/services/redis.ts).
export class Analytics {
	constructor() {
		throw new Error("@upstash/core-analytics is aliased out of this worker: Ratelimit analytics must stay off");
	}
}
