-- What real senders send is kept (issue 19): a value past one of our bounds (not the contract's) is clipped, and the
-- row lists each clipped field's path (`message`, `breadcrumbs[19].message`, `breadcrumbs`, `context`, ...); empty
-- when nothing was. `sdk` is the sender's x-deeptracer-sdk header ("core/0.8.3"), empty when absent.
ALTER TABLE logs ADD COLUMN IF NOT EXISTS truncated Array(String) DEFAULT [];
ALTER TABLE logs ADD COLUMN IF NOT EXISTS sdk LowCardinality(String) DEFAULT '';
ALTER TABLE errors ADD COLUMN IF NOT EXISTS truncated Array(String) DEFAULT [];
ALTER TABLE errors ADD COLUMN IF NOT EXISTS sdk LowCardinality(String) DEFAULT '';
ALTER TABLE spans ADD COLUMN IF NOT EXISTS truncated Array(String) DEFAULT [];
ALTER TABLE spans ADD COLUMN IF NOT EXISTS sdk LowCardinality(String) DEFAULT '';
ALTER TABLE llm_usage ADD COLUMN IF NOT EXISTS truncated Array(String) DEFAULT [];
ALTER TABLE llm_usage ADD COLUMN IF NOT EXISTS sdk LowCardinality(String) DEFAULT '';
