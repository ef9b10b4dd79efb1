-- One judged LLM interaction. status = 'unevaluated' keeps a sample whose verdict could
-- not be obtained (with the reason in `error`) so a later run retries it; it is never
-- scored 0.
CREATE TABLE IF NOT EXISTS application_evaluations
(
    customer_id          String,
    application          LowCardinality(String),
    provider             LowCardinality(String),
    model                LowCardinality(String),
    request_id           String,
    sample_ts            DateTime64(3, 'UTC'),
    status               LowCardinality(String),
    coherence            Nullable(Float32),
    relevance            Nullable(Float32),
    accuracy             Nullable(Float32),
    hallucination        Nullable(UInt8),
    hallucination_score  Nullable(Float32),
    unsupported_claims   Array(String),
    toxic                Nullable(UInt8),
    toxicity_score       Nullable(Float32),
    toxicity_categories  Array(String),
    reasons              Map(String, String),
    error                String,
    judge_model          LowCardinality(String),
    prompt_version       LowCardinality(String),
    latency_ms           Nullable(Float64),
    prompt_tokens        Nullable(UInt32),
    completion_tokens    Nullable(UInt32),
    evaluated_at         DateTime64(3, 'UTC'),
    task_id              String,
    version              UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(sample_ts)
ORDER BY (customer_id, application, request_id)
SETTINGS non_replicated_deduplication_window = 1000
