import type { z } from "zod/mini";
import { FailureError } from "./errors.ts";

/** An issue in the documented 400 shape (the field names and messages clients already parse). */
export type DocumentedIssue = Record<string, unknown> & { code: string; path: PropertyKey[]; message: string };

/** The type name the documented issues use for a received value. */
function receivedType(value: unknown): string {
	if (value === undefined) return "undefined";
	if (value === null) return "null";
	if (Array.isArray(value)) return "array";
	if (typeof value === "number") return Number.isNaN(value) ? "nan" : "number";
	return typeof value;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
	let value = input;
	for (const key of path) {
		if (value === null || typeof value !== "object") return undefined;
		value = Object.hasOwn(value, key) ? (value as Record<PropertyKey, unknown>)[key] : undefined;
	}
	return value;
}

const UNIT: Record<string, string> = { string: "character(s)", array: "element(s)" };
const quote = (v: unknown) => (typeof v === "string" ? `'${v}'` : String(v));

/** Maps one zod issue onto the documented shape: { code, [details], path, message }. */
export function documentIssue(issue: z.core.$ZodIssue, input: unknown): DocumentedIssue {
	const path = issue.path;
	switch (issue.code) {
		case "invalid_type": {
			const expected = issue.expected === "record" ? "object" : issue.expected;
			const received = receivedType(valueAt(input, path));
			const message = received === "undefined" ? "Required" : `Expected ${expected}, received ${received}`;
			return { code: "invalid_type", expected, received, path, message };
		}
		case "too_small":
		case "too_big": {
			const small = issue.code === "too_small";
			const bound = small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum;
			const type = issue.origin;
			const inclusive = issue.inclusive ?? true;
			const message =
				type in UNIT
					? `${type === "string" ? "String" : "Array"} must contain ${small ? "at least" : "at most"} ${bound} ${UNIT[type]}`
					: `Number must be ${small ? "greater" : "less"} than ${inclusive ? "or equal to " : ""}${bound}`;
			return {
				code: issue.code,
				[small ? "minimum" : "maximum"]: Number(bound),
				type,
				inclusive,
				exact: false,
				path,
				message,
			};
		}
		case "invalid_value": {
			const options = issue.values;
			const received = valueAt(input, path);
			return {
				code: "invalid_enum_value",
				options,
				received,
				path,
				message: `Invalid enum value. Expected ${options.map(quote).join(" | ")}, received ${quote(received)}`,
			};
		}
		case "invalid_format":
			return issue.format === "datetime"
				? { code: "invalid_string", validation: "datetime", path, message: "Invalid datetime" }
				: { code: "invalid_string", validation: issue.format, path, message: `Invalid ${issue.format}` };
		default:
			return { code: issue.code, path, message: issue.message };
	}
}

/** The schema's output for a parsed body, or the documented 400 listing every issue. */
export function zodParse<S extends z.ZodMiniType>(schema: S, json: unknown): z.output<S> {
	const result = schema.safeParse(json);
	if (!result.success) {
		const issues = result.error.issues.map((i) => documentIssue(i, json));
		throw new FailureError({ kind: "invalid_payload", issues });
	}
	return result.data;
}
