-- One evaluation of a customer's recommendations: when, what it found, and which
-- resources it skipped and why (missing data is not idleness). The trigger's status
-- route and the list's `skipped` block read it.
CREATE TABLE IF NOT EXISTS recommendation_evaluations
(
    customer_id      String,
    task_id          String,
    status           LowCardinality(String),
    started_at       DateTime64(3, 'UTC'),
    finished_at      DateTime64(3, 'UTC'),
    evaluated        UInt32,
    open             UInt32,
    resolved         UInt32,
    skipped          UInt32,
    skipped_detail   String,
    error            String,
    version          UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (customer_id, task_id)
