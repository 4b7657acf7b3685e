-- Columns are named as the API's snake_case fields, plus project_id, api_key_id and received_at.
-- Partitions and TTL follow received_at (server time), so a client's odd timestamp cannot create
-- a partition per row or expire a row on arrival. non_replicated_deduplication_window lets
-- insert_deduplication_token drop a retried or replayed chunk on plain MergeTree.

CREATE TABLE IF NOT EXISTS logs
(
    project_id   UUID,
    api_key_id   UUID,
    received_at  DateTime64(3, 'UTC'),
    timestamp    DateTime64(3, 'UTC'),
    service      LowCardinality(String),
    environment  LowCardinality(String),
    release      String,
    level        LowCardinality(String),
    message      String,
    metadata     String DEFAULT '{}',
    trace_id     String,
    span_id      String,
    request_id   String,
    context      String,
    vercel_id    String
)
ENGINE = MergeTree
PARTITION BY toDate(received_at)
ORDER BY (project_id, timestamp)
TTL toDateTime(received_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS errors
(
    project_id    UUID,
    api_key_id    UUID,
    received_at   DateTime64(3, 'UTC'),
    service       LowCardinality(String),
    environment   LowCardinality(String),
    release       String,
    fingerprint   FixedString(64),
    error_message String,
    stack_trace   String,
    severity      LowCardinality(String),
    context       String DEFAULT '{}',
    trace_id      String,
    user_id       String,
    breadcrumbs   String DEFAULT '[]'
)
ENGINE = MergeTree
PARTITION BY toDate(received_at)
ORDER BY (project_id, fingerprint, received_at)
TTL toDateTime(received_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS spans
(
    project_id     UUID,
    api_key_id     UUID,
    received_at    DateTime64(3, 'UTC'),
    service        LowCardinality(String),
    environment    LowCardinality(String),
    release        String,
    trace_id       String,
    span_id        String,
    parent_span_id String,
    operation      String,
    start_time     DateTime64(3, 'UTC'),
    duration_ms    UInt64,
    status         LowCardinality(String),
    metadata       String DEFAULT '{}'
)
ENGINE = MergeTree
PARTITION BY toDate(received_at)
ORDER BY (project_id, trace_id, start_time)
TTL toDateTime(received_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS llm_usage
(
    project_id    UUID,
    api_key_id    UUID,
    received_at   DateTime64(3, 'UTC'),
    service       LowCardinality(String),
    environment   LowCardinality(String),
    release       String,
    model         LowCardinality(String),
    provider      LowCardinality(String),
    operation     LowCardinality(String),
    input_tokens  UInt64,
    output_tokens UInt64,
    cost_usd      Float64,
    latency_ms    UInt64,
    metadata      String DEFAULT '{}'
)
ENGINE = MergeTree
PARTITION BY toDate(received_at)
ORDER BY (project_id, received_at)
TTL toDateTime(received_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;
