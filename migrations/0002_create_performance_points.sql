-- Performance points: one value of one metric for one resource (and sub-series such as a
-- GPU or a disk, in `dimension`) at one instant. Re-collecting a window re-inserts the
-- same key; FINAL or argMax(version) reads keep one value per key.
CREATE TABLE IF NOT EXISTS performance_points
(
    customer_id    String,
    provider       LowCardinality(String),
    resource_id    String,
    resource_name  String,
    resource_type  LowCardinality(String),
    region         LowCardinality(String),
    metric         LowCardinality(String),
    dimension      String,
    unit           LowCardinality(String),
    value          Float64,
    ts             DateTime64(3, 'UTC'),
    source_metric  LowCardinality(String),
    labels         Map(String, String),
    task_id        String,
    collected_at   DateTime64(3, 'UTC'),
    version        UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(ts)
ORDER BY (customer_id, provider, metric, resource_id, dimension, ts)
SETTINGS non_replicated_deduplication_window = 1000
