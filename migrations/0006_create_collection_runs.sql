-- The record of every collection job. Each status change inserts a new version of the
-- row; FINAL reads the current state.
CREATE TABLE IF NOT EXISTS collection_runs
(
    customer_id        String,
    task_id            String,
    provider           LowCardinality(String),
    connection_id      String,
    data_types         Array(LowCardinality(String)),
    trigger            LowCardinality(String),
    status             LowCardinality(String),
    rows               Map(String, UInt64),
    errors             Map(String, String),
    billable_requests  Map(String, UInt32),
    skipped_reason     String,
    window_start       Nullable(DateTime64(3, 'UTC')),
    window_end         Nullable(DateTime64(3, 'UTC')),
    queued_at          DateTime64(3, 'UTC'),
    started_at         Nullable(DateTime64(3, 'UTC')),
    finished_at        Nullable(DateTime64(3, 'UTC')),
    duration_ms        Nullable(UInt64),
    details            String,
    version            UInt64,
    INDEX idx_task_id task_id TYPE bloom_filter GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(queued_at)
ORDER BY (customer_id, task_id)
SETTINGS non_replicated_deduplication_window = 1000
