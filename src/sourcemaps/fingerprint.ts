import { fingerprintError } from "../ingest/fingerprint/index.ts";
import { type ResolvedStack, type ResolveInput, resolveStack } from "./resolve.ts";

/**
 * Where source maps meet fingerprints: the fingerprint of an error as its uploaded maps resolve it. Frames with a
 * map are first rewritten to their original place, as V8 prints frames (so ingest/fingerprint/parsers/v8.ts reads
 * them and paths.ts normalises their original files), and every other line is left as sent: a rebuild groups the
 * same, and an error without maps keeps the fingerprint of its own text. Here and not in ingest/fingerprint/,
 * which stays pure: resolving reads the map store. Returns the resolution too: the row stores the resolved stack.
 */
export async function fingerprintResolved(
	input: ResolveInput & { errorMessage: string },
): Promise<{ fingerprint: string; resolved: ResolvedStack }> {
	const { errorMessage, stackTrace, release, project, store, now } = input;
	const resolved = await resolveStack({ stackTrace, release, project, store, now });
	const known = fingerprintError({ errorMessage, stackTrace: resolved.text });
	return { fingerprint: typeof known === "string" ? known : await known, resolved };
}
