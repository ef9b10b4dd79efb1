-- Raw LLM interactions of a customer's application, ingested through the API or sampled
-- by a probe: the input of application evaluation and the volume/latency/token figures.
-- One row per (customer, application, request id): a re-sent request id is a duplicate
-- (the ingest API reports it and does not store it again; FINAL keeps one row if two
-- copies race in). `sampling_bucket` is a stable hash of the key in [0, 1e6): a sample
-- is evaluated when bucket < sampling rate x 1e6, so a rate change applies to the
-- backlog at once and a retried sample always gets the same decision.
CREATE TABLE IF NOT EXISTS application_samples
(
    customer_id        String,
    application        LowCardinality(String),
    provider           LowCardinality(String),
    model              LowCardinality(String),
    request_id         String,
    source             LowCardinality(String),
    sample_ts          DateTime64(3, 'UTC'),
    prompt             String,
    response           String,
    context            String,
    reference          String,
    latency_ms         Nullable(Float64),
    prompt_tokens      Nullable(UInt32),
    completion_tokens  Nullable(UInt32),
    sampling_bucket    UInt32,
    received_at        DateTime64(3, 'UTC'),
    task_id            String,
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(received_at)
ORDER BY (customer_id, application, request_id)
SETTINGS non_replicated_deduplication_window = 1000
