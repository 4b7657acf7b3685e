import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { documentIssue } from "../../src/http/validation.ts";

// Each zod issue becomes the documented 400 issue (shared/api/ingestion-api.txt, "Validation failed"): the codes,
// fields and messages clients already parse. The whole 400 body through the worker is in test/worker/validation.test.ts.

const documented = (schema: z.ZodMiniType, input: unknown) => {
	const result = schema.safeParse(input);
	if (result.success) throw new Error("expected a validation failure");
	return result.error.issues.map((issue) => documentIssue(issue, input));
};

const field = (schema: z.ZodMiniType) => z.object({ f: schema });

describe("documentIssue", () => {
	it.each<[string, z.ZodMiniType, unknown, Record<string, unknown>]>([
		[
			"a missing field",
			z.object({ error_message: z.string() }),
			{},
			{ code: "invalid_type", expected: "string", received: "undefined", path: ["error_message"], message: "Required" },
		],
		[
			"a number for a string",
			field(z.string()),
			{ f: 5 },
			{
				code: "invalid_type",
				expected: "string",
				received: "number",
				path: ["f"],
				message: "Expected string, received number",
			},
		],
		[
			"null",
			field(z.string()),
			{ f: null },
			{
				code: "invalid_type",
				expected: "string",
				received: "null",
				path: ["f"],
				message: "Expected string, received null",
			},
		],
		[
			"an array for an object",
			field(z.record(z.string(), z.string())),
			{ f: [] },
			{
				code: "invalid_type",
				expected: "object",
				received: "array",
				path: ["f"],
				message: "Expected object, received array",
			},
		],
		[
			"NaN",
			field(z.number()),
			{ f: Number.NaN },
			{
				code: "invalid_type",
				expected: "number",
				received: "nan",
				path: ["f"],
				message: "Expected number, received nan",
			},
		],
		[
			// Only own properties are read: an inherited `constructor` is not a value the client sent.
			"an inherited property name",
			z.object({ constructor: z.string() }),
			{},
			{ code: "invalid_type", expected: "string", received: "undefined", path: ["constructor"], message: "Required" },
		],
		[
			"a short string",
			field(z.string().check(z.minLength(1))),
			{ f: "" },
			{
				code: "too_small",
				minimum: 1,
				type: "string",
				inclusive: true,
				exact: false,
				path: ["f"],
				message: "String must contain at least 1 character(s)",
			},
		],
		[
			"a long array",
			field(z.array(z.number()).check(z.maxLength(2))),
			{ f: [1, 2, 3] },
			{
				code: "too_big",
				maximum: 2,
				type: "array",
				inclusive: true,
				exact: false,
				path: ["f"],
				message: "Array must contain at most 2 element(s)",
			},
		],
		[
			"a number at an exclusive bound",
			field(z.number().check(z.positive())),
			{ f: 0 },
			{
				code: "too_small",
				minimum: 0,
				type: "number",
				inclusive: false,
				exact: false,
				path: ["f"],
				message: "Number must be greater than 0",
			},
		],
		[
			"a number above an inclusive bound",
			field(z.number().check(z.lte(10))),
			{ f: 11 },
			{
				code: "too_big",
				maximum: 10,
				type: "number",
				inclusive: true,
				exact: false,
				path: ["f"],
				message: "Number must be less than or equal to 10",
			},
		],
		[
			"a value outside the enum",
			field(z.enum(["debug", "info"])),
			{ f: "trace" },
			{
				code: "invalid_enum_value",
				options: ["debug", "info"],
				received: "trace",
				path: ["f"],
				message: "Invalid enum value. Expected 'debug' | 'info', received 'trace'",
			},
		],
		[
			"a malformed datetime",
			field(z.iso.datetime()),
			{ f: "yesterday" },
			{ code: "invalid_string", validation: "datetime", path: ["f"], message: "Invalid datetime" },
		],
		[
			"another malformed format",
			field(z.email()),
			{ f: "nobody" },
			{ code: "invalid_string", validation: "email", path: ["f"], message: "Invalid email" },
		],
		[
			"a nested path",
			z.object({ logs: z.array(z.object({ level: z.enum(["info"]) })) }),
			{ logs: [{ level: "info" }, { level: 3 }] },
			{
				code: "invalid_enum_value",
				options: ["info"],
				received: 3,
				path: ["logs", 1, "level"],
				message: "Invalid enum value. Expected 'info', received 3",
			},
		],
	])("%s", (_, schema, input, expected) => {
		expect(documented(schema, input)).toEqual([expected]);
	});

	it("passes any other issue through as its code, path and message", () => {
		expect(documented(z.strictObject({}), { extra: 1 })).toEqual([
			{ code: "unrecognized_keys", path: [], message: expect.any(String) },
		]);
	});
});
