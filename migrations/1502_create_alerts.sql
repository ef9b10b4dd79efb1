-- Alerts: one row per incident (customer × connection × kind), a new version for each
-- change (opened, notified, resolved). FINAL reads the current state.
CREATE TABLE IF NOT EXISTS alerts
(
    customer_id    String,
    alert_id       String,
    kind           LowCardinality(String),
    provider       LowCardinality(String),
    connection_id  String,
    status         LowCardinality(String),
    message        String,
    last_error     String,
    failures       UInt32,
    task_id        String,
    opened_at      DateTime64(3, 'UTC'),
    resolved_at    Nullable(DateTime64(3, 'UTC')),
    notified       UInt8,
    version        UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (customer_id, alert_id)
SETTINGS non_replicated_deduplication_window = 1000
