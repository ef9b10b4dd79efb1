-- API keys, stored as SHA-256 of their secret part only. customer_id is '' for admin keys.
CREATE TABLE IF NOT EXISTS api_keys
(
    customer_id  String,
    key_id       String,
    key_hash     String,
    is_admin     UInt8,
    label        String,
    created_at   DateTime64(3, 'UTC'),
    revoked_at   Nullable(DateTime64(3, 'UTC')),
    version      UInt64,
    INDEX idx_key_id key_id TYPE bloom_filter GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (customer_id, key_id)
SETTINGS non_replicated_deduplication_window = 1000
