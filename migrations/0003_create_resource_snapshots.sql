-- Inventory snapshots: what existed at `snapshot_at` for one customer and provider.
-- `complete` = 0 marks a snapshot taken while some provider call failed; change tracking
-- never infers deletions from such a snapshot.
CREATE TABLE IF NOT EXISTS resource_snapshots
(
    customer_id     String,
    provider        LowCardinality(String),
    snapshot_at     DateTime64(3, 'UTC'),
    resource_id     String,
    resource_type   LowCardinality(String),
    name            String,
    status          LowCardinality(String),
    region          LowCardinality(String),
    zone            LowCardinality(String),
    sku             String,
    vcpus           Nullable(Float32),
    memory_gib      Nullable(Float64),
    gpu_count       UInt16,
    gpu_model       String,
    tags            Map(String, String),
    created_at      Nullable(DateTime64(3, 'UTC')),
    hourly_price    Nullable(Decimal(38, 10)),
    price_currency  LowCardinality(String),
    attributes      String,
    complete        UInt8 DEFAULT 1,
    task_id         String,
    version         UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(snapshot_at)
ORDER BY (customer_id, provider, snapshot_at, resource_id)
SETTINGS non_replicated_deduplication_window = 1000
