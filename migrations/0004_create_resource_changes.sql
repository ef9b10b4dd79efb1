-- Differences between consecutive inventory snapshots: created, deleted, modified (with
-- the fields that changed, old and new value).
CREATE TABLE IF NOT EXISTS resource_changes
(
    customer_id           String,
    provider              LowCardinality(String),
    resource_id           String,
    resource_type         LowCardinality(String),
    name                  String,
    change_type           LowCardinality(String),
    changes               Array(Tuple(field String, old_value String, new_value String)),
    previous_snapshot_at  Nullable(DateTime64(3, 'UTC')),
    snapshot_at           DateTime64(3, 'UTC'),
    detected_at           DateTime64(3, 'UTC'),
    task_id               String,
    version               UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(snapshot_at)
ORDER BY (customer_id, provider, snapshot_at, resource_id, change_type)
SETTINGS non_replicated_deduplication_window = 1000
