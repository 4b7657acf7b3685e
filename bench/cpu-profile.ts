/** The V8 CPU profile (DevTools protocol) arithmetic shared by bench/profile.ts and bench/profile-workerd.ts. */

export interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}
export interface Profile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
}

/** Sampled microseconds per profile node (where the sample landed). */
export function selfTimes(profile: Profile): Map<number, number> {
	const self = new Map<number, number>();
	for (let i = 0; i < profile.samples.length; i++) {
		const id = profile.samples[i] as number;
		self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
	}
	return self;
}

/**
 * Inclusive time (the function and what it calls) per key, over the nodes `keyOf` names (undefined: skipped).
 * A function that calls itself is counted once per stack.
 */
export function inclusiveTimes(
	profile: Profile,
	self: Map<number, number>,
	keyOf: (node: ProfileNode) => string | undefined,
): Map<string, number> {
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const parent = new Map<number, number>();
	for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
	const inclusive = new Map<string, number>();
	for (const [id, t] of self) {
		const seen = new Set<string>();
		for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
			const node = byId.get(at);
			if (!node) break;
			const key = keyOf(node);
			if (key === undefined || seen.has(key)) continue;
			seen.add(key);
			inclusive.set(key, (inclusive.get(key) ?? 0) + t);
		}
	}
	return inclusive;
}
