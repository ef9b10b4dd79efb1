-- Recommendations: one row per (customer, provider, resource, kind), the latest version
-- wins. state: open | dismissed | resolved. Savings are exact decimals in `currency`;
-- NULL when no price is known (the reason is in `details`). `evidence` and `details`
-- are JSON text (metrics, windows, p95/max/avg, points; the suggested type, ...).
CREATE TABLE IF NOT EXISTS recommendations
(
    customer_id      String,
    provider         LowCardinality(String),
    resource_id      String,
    kind             LowCardinality(String),
    id               String,
    resource_name    String,
    resource_type    LowCardinality(String),
    region           LowCardinality(String),
    sku              String,
    action           String,
    state            LowCardinality(String),
    monthly_savings  Nullable(Decimal(38, 10)),
    currency         LowCardinality(String),
    coverage         Float64,
    margin           Float64,
    evidence         String,
    details          String,
    dismiss_reason   String,
    dismissed_until  Nullable(DateTime64(3, 'UTC')),
    first_seen       DateTime64(3, 'UTC'),
    last_evaluated   DateTime64(3, 'UTC'),
    task_id          String,
    version          UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (customer_id, provider, resource_id, kind)
