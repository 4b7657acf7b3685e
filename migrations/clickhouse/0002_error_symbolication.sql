-- Source maps (issue 14): the stack as resolved against the project's uploaded maps, beside stack_trace (which
-- stays as sent), and how resolution went: 'none' (no frame had a map), 'resolved', or 'failed' (the map store
-- failed: the fingerprint is the unresolved one, the only way one error can split into two groups).
ALTER TABLE errors ADD COLUMN IF NOT EXISTS resolved_stack_trace String DEFAULT '' AFTER stack_trace;

ALTER TABLE errors ADD COLUMN IF NOT EXISTS symbolication LowCardinality(String) DEFAULT 'none' AFTER resolved_stack_trace;
