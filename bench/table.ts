export type Row =
	| { section: string }
	| {
			figure: string;
			value: string;
			baseline: string;
			ratio: string;
			target: string;
			/** The previous round's figure, where the issue that set the target gives one. */
			previous?: string;
			result: string;
	  };

const HEAD = ["figure", "value", "floor / baseline", "ratio", "target", "previous round", "result"];

/** A plain-text table: section lines span the width, figures in aligned columns. */
export function renderTable(rows: Row[]): string {
	const cells = rows.filter((r) => !("section" in r)) as Exclude<Row, { section: string }>[];
	const cols = (r: Exclude<Row, { section: string }>) => [
		r.figure,
		r.value,
		r.baseline,
		r.ratio,
		r.target,
		r.previous ?? "",
		r.result,
	];
	const widths = HEAD.map((h, i) => Math.max(h.length, ...cells.map((r) => (cols(r)[i] ?? "").length)));
	const line = (vs: string[]) =>
		vs.map((v, i) => (i === 0 || i === 2 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join("  ");
	const rule = "─".repeat(widths.reduce((a, b) => a + b + 2, -2));
	const out = [line(HEAD), rule];
	for (const r of rows) {
		if ("section" in r) out.push("", r.section);
		else out.push(line(cols(r)));
	}
	out.push(rule);
	return out.join("\n");
}
