-- LLM cost at the edge (issue 22): how cost_usd came to be. 'client': a non-zero cost the sender gave (never
-- replaced); 'inferred': priced from the price table (Postgres model_prices) at ingestion; 'unknown': no price (an
-- unknown model, no tokens, or no table), cost_usd 0. price_version: the table's revision that priced the row (or had
-- no price for it), '' for a client's cost. Rows stored before this migration read as the sender left them.
ALTER TABLE llm_usage ADD COLUMN IF NOT EXISTS cost_source LowCardinality(String) DEFAULT if(cost_usd > 0, 'client', 'unknown') AFTER cost_usd;
ALTER TABLE llm_usage ADD COLUMN IF NOT EXISTS price_version String DEFAULT '' AFTER cost_source;
