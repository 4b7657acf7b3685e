import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

// zod/mini sets no locale (issues would all read "Invalid input"); the issue messages clients see (OTLP
// 400 Status, partial_success reasons, the 400 issues without a documented message) are zod's English ones.
// Imported for its effect by every module that defines schemas.
z.config(en());
