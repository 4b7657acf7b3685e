/** Redis key names shared by the worker and the key CLI (which evicts entries on revoke). */
export const keyCacheKey = (keyHash: string) => `dt:key:${keyHash}`;
export const touchCacheKey = (keyId: string) => `dt:touch:${keyId}`;
export const authFailureKey = (ip: string, windowStart: number) => `dt:authfail:${ip}:${windowStart}`;
