-- One row per inventory snapshot (customer x provider x snapshot_at), written after the
-- snapshot's rows and changes. It records what resource_snapshots alone cannot: a
-- snapshot that found no resources (it has no rows there), whether the snapshot is
-- complete, and how many changes it produced. Change tracking reads it to find the last
-- complete snapshot; readers use it to find the latest snapshot, empty or not.
CREATE TABLE IF NOT EXISTS resource_snapshot_runs
(
    customer_id  String,
    provider     LowCardinality(String),
    snapshot_at  DateTime64(3, 'UTC'),
    complete     UInt8,
    resources    UInt32,
    created      UInt32,
    modified     UInt32,
    deleted      UInt32,
    error        String,
    task_id      String,
    recorded_at  DateTime64(3, 'UTC'),
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (customer_id, provider, snapshot_at)
SETTINGS non_replicated_deduplication_window = 1000
