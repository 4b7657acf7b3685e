// The worker's own key store and key cache, for the store-distance bench to seed Redis's key cache exactly as the
// worker writes it. Re-exported from a .js file (typed by src-stores.d.ts) for the same reason as src-app.js.
export { createSql, NeonApiKeyStore } from "../src/services/postgres.ts";
export { createRedis, RedisKeyCache } from "../src/services/redis.ts";
