-- LLM prices (issue 22): USD per 1M tokens, per model family, read by the worker (isolate -> Redis -> Postgres) to
-- price llm_usage records that carry no cost. A row is in effect from effective_from until the family's next row:
-- a change is a new row (the CLI's `set` starts it now; a provider's announced change starts on its date), so past
-- prices stay in the table. `npm run migrate` loads migrations/model_prices.json, the seeded table.

-- Every change of the table, numbered: the number is llm_usage.price_version, "which table priced this row".
CREATE TABLE IF NOT EXISTS price_revisions (
    revision   bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    change     text NOT NULL
);

CREATE TABLE IF NOT EXISTS model_prices (
    -- Who bills: the vendor (openai, anthropic, google, mistral, deepseek, xai) or the host of an open-weight
    -- model (groq, together). Families are canonical ids (src/ingest/prices/normalise.ts maps raw ids to them).
    provider         text NOT NULL CHECK (provider ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    family           text NOT NULL CHECK (family ~ '^[a-z0-9][a-z0-9._-]{0,127}$'),
    effective_from   timestamptz NOT NULL,
    input_usd        numeric NOT NULL CHECK (input_usd >= 0),
    output_usd       numeric NOT NULL CHECK (output_usd >= 0),
    -- NULL: the provider gives cache reads no price of their own / charges nothing for cache writes (billed as input).
    cached_input_usd numeric CHECK (cached_input_usd >= 0),
    cache_write_usd  numeric CHECK (cache_write_usd >= 0),
    -- The provider's page the price was read from, and the date it was seen there.
    source           text NOT NULL,
    seen             date,
    notes            text NOT NULL DEFAULT '',
    revision         bigint NOT NULL REFERENCES price_revisions (revision),
    PRIMARY KEY (provider, family, effective_from)
);

CREATE INDEX IF NOT EXISTS model_prices_family_idx ON model_prices (family, effective_from);
