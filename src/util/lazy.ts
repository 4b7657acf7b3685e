/**
 * An object built on first use, standing in for it meanwhile: reads, calls, `in`, keys and `instanceof` all reach
 * the built object. For zod schemas that only a cold path needs (a 400, an OTLP export): building every schema
 * at module load is CPU each new isolate pays before its first request, and valid bodies never reach zod.
 */
export function lazyObject<T extends object>(build: () => T): T {
	let built: T | undefined;
	const target = () => {
		built ??= build();
		return built;
	};
	return new Proxy({} as T, {
		get: (_, key) => Reflect.get(target(), key),
		has: (_, key) => Reflect.has(target(), key),
		ownKeys: () => Reflect.ownKeys(target()),
		getOwnPropertyDescriptor: (_, key) => {
			const d = Reflect.getOwnPropertyDescriptor(target(), key);
			// A proxy may not report a property non-configurable unless its own target has it so.
			return d ? { ...d, configurable: true } : undefined;
		},
		getPrototypeOf: () => Reflect.getPrototypeOf(target()),
		set: (_, key, value) => Reflect.set(target(), key, value),
		defineProperty: (_, key, descriptor) => Reflect.defineProperty(target(), key, descriptor),
		deleteProperty: (_, key) => Reflect.deleteProperty(target(), key),
	});
}
