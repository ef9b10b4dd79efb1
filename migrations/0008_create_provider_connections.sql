-- A customer's configured provider: settings (JSON), a reference to where its secret
-- lives (never the secret itself), enabled or not.
CREATE TABLE IF NOT EXISTS provider_connections
(
    customer_id    String,
    provider       LowCardinality(String),
    connection_id  String,
    settings       String,
    secret_ref     String,
    enabled        UInt8,
    created_at     DateTime64(3, 'UTC'),
    updated_at     DateTime64(3, 'UTC'),
    version        UInt64,
    is_deleted     UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY (customer_id, provider, connection_id)
SETTINGS non_replicated_deduplication_window = 1000
