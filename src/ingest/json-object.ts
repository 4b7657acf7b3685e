import * as z from "zod/mini";
import "../util/zod-locale.ts";
import { LIMITS } from "./limits.ts";

/** True when a JSON value nests deeper than `limit`, giving up as soon as the limit is passed. */
export function depthExceeds(value: unknown, limit: number, depth = 1): boolean {
	if (depth > limit) return true;
	if (value === null || typeof value !== "object") return false;
	if (Array.isArray(value)) {
		for (const item of value) if (depthExceeds(item, limit, depth + 1)) return true;
		return false;
	}
	for (const key in value) {
		if (depthExceeds((value as Record<string, unknown>)[key], limit, depth + 1)) return true;
	}
	return false;
}

/**
 * An arbitrary key-value object (metadata, context), bounded in depth and size; output is its JSON text,
 * which is what the row stores. A builder, called by the schemas that embed it when they are built (schemas.ts).
 */
export const jsonObjectSchema = () =>
	z.pipe(
		z.record(z.string(), z.unknown()),
		z.transform((value, ctx) => {
			if (depthExceeds(value, LIMITS.objectDepth)) {
				ctx.issues.push({
					code: "custom",
					message: `Object must be nested at most ${LIMITS.objectDepth} levels deep`,
					input: value,
				});
				return z.NEVER;
			}
			const text = JSON.stringify(value);
			if (text.length > LIMITS.objectBytes) {
				ctx.issues.push({
					code: "custom",
					message: `Object must serialize to at most ${LIMITS.objectBytes} characters`,
					input: value,
				});
				return z.NEVER;
			}
			return text;
		}),
	);
