-- Per customer x provider x data type: the end of the last window collected and written
-- successfully. The next job starts there, so gaps backfill themselves.
CREATE TABLE IF NOT EXISTS watermarks
(
    customer_id  String,
    provider     LowCardinality(String),
    data_type    LowCardinality(String),
    watermark    DateTime64(3, 'UTC'),
    task_id      String,
    updated_at   DateTime64(3, 'UTC'),
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (customer_id, provider, data_type)
SETTINGS non_replicated_deduplication_window = 1000
