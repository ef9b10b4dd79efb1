-- Hourly aggregates of performance_points per customer × provider × metric × resource ×
-- dimension (issue #14): count, sum, min, max and a DDSketch p95 state of the hour's
-- deduplicated points, with the hour's newest identity. Never fed by a materialized view
-- (a view sees inserted blocks, so a re-collected point would count twice): after every
-- write of performance_points the writer recomputes each touched hour from
-- `performance_points FINAL` and inserts it here with a newer version, so the newest row
-- per key is always the aggregate of the deduplicated raw rows (lib/performance/rollup.ts).
CREATE TABLE IF NOT EXISTS performance_hourly
(
    customer_id   String,
    provider      LowCardinality(String),
    metric        LowCardinality(String),
    resource_id   String,
    dimension     String,
    hour          DateTime('UTC'),
    unit_last     LowCardinality(String),
    name_last     String,
    type_last     LowCardinality(String),
    region_last   LowCardinality(String),
    ts_last       DateTime64(3, 'UTC'),
    points        UInt64,
    value_sum     Float64,
    value_min     Float64,
    value_max     Float64,
    p95_state     AggregateFunction(quantileDD(0.01, 0.95), Float64),
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(hour)
ORDER BY (customer_id, provider, metric, resource_id, dimension, hour)
