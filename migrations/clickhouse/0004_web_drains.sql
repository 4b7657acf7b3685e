-- Vercel Drains of Speed Insights and Web Analytics (issue 21): entries of schema vercel.speed_insights.v1 and
-- vercel.analytics.v1 / v2 posted to /ingest/drain, each in a table of its own (never log rows). Columns are the
-- fields of Vercel's drain reference pages, snake_case; what no column holds stays in metadata. Identity from the
-- API key, times in UTC, partitions and TTL by received_at, as the other tables.

CREATE TABLE IF NOT EXISTS web_vitals
(
    project_id             UUID,
    api_key_id             UUID,
    received_at            DateTime64(3, 'UTC'),
    timestamp              DateTime64(3, 'UTC'),
    metric                 LowCardinality(String),
    value                  Float64,
    path                   String,
    route                  String,
    origin                 String,
    release                String,
    environment            LowCardinality(String),
    vercel_url             String,
    vercel_project_id      String,
    owner_id               String,
    device_id              String,
    country                LowCardinality(String),
    region                 LowCardinality(String),
    city                   String,
    os_name                LowCardinality(String),
    os_version             String,
    client_name            LowCardinality(String),
    client_type            LowCardinality(String),
    client_version         String,
    device_type            LowCardinality(String),
    device_brand           LowCardinality(String),
    browser_engine         LowCardinality(String),
    browser_engine_version String,
    connection_speed       LowCardinality(String),
    script_version         String,
    sdk_name               LowCardinality(String),
    sdk_version            String,
    attribution            String,
    metadata               String DEFAULT '{}',
    truncated              Array(String) DEFAULT [],
    sdk                    LowCardinality(String) DEFAULT ''
)
ENGINE = MergeTree
PARTITION BY toDate(received_at)
ORDER BY (project_id, metric, timestamp)
TTL toDateTime(received_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS web_events
(
    project_id             UUID,
    api_key_id             UUID,
    received_at            DateTime64(3, 'UTC'),
    timestamp              DateTime64(3, 'UTC'),
    schema                 LowCardinality(String),
    event_type             LowCardinality(String),
    event_name             String,
    event_data             String,
    flags                  String,
    path                   String,
    route                  String,
    origin                 String,
    referrer               String,
    query_params           String,
    session_id             String,
    device_id              String,
    release                String,
    environment            LowCardinality(String),
    vercel_url             String,
    vercel_project_id      String,
    owner_id               String,
    country                LowCardinality(String),
    region                 LowCardinality(String),
    city                   String,
    os_name                LowCardinality(String),
    os_version             String,
    client_name            LowCardinality(String),
    client_type            LowCardinality(String),
    client_version         String,
    device_type            LowCardinality(String),
    device_brand           LowCardinality(String),
    device_model           String,
    browser_engine         LowCardinality(String),
    browser_engine_version String,
    sdk_name               LowCardinality(String),
    sdk_version            String,
    sdk_version_full       String,
    metadata               String DEFAULT '{}',
    truncated              Array(String) DEFAULT [],
    sdk                    LowCardinality(String) DEFAULT ''
)
ENGINE = MergeTree
PARTITION BY toDate(received_at)
ORDER BY (project_id, event_type, timestamp)
TTL toDateTime(received_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;
