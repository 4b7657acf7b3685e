import type { ApiKeyStore, KeyCache } from "../src/ports.ts";

type Sql = (strings: TemplateStringsArray, ...values: unknown[]) => Promise<unknown>;
type RedisClient = object;

export declare function createSql(config: {
	databaseUrl: string;
	neonHttpEndpoint: string | undefined;
}): () => Promise<Sql>;
export declare const NeonApiKeyStore: new (sql: () => Promise<Sql>) => ApiKeyStore;
export declare function createRedis(config: { url: string; token: string }): RedisClient;
export declare const RedisKeyCache: new (redis: RedisClient) => KeyCache;
