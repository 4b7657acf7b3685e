// The contract's zod schemas (schemas.ts) are loaded on first use, zod with them: a body the fast path (fast.ts)
// takes never needs them, so evaluating zod belongs to the first 400 (or clipped body) of an isolate, not to its
// startup. A dynamic import() is evaluated lazily in the bundle; what is kept is the module, plain data.

type Schemas = typeof import("./schemas.ts");
let loaded: Schemas | undefined;

export async function loadSchemas(): Promise<Schemas> {
	loaded ??= await import("./schemas.ts");
	return loaded;
}
