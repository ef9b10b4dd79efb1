-- Results of evaluating the shipped labeled set (data/judge-calibration.jsonl) with a
-- judge model and prompt version: confusion counts and precision/recall/F1 for
-- hallucination and toxicity, so users can see whether the judge can be trusted.
-- Precision/recall/F1 are NULL when undefined (no positive predictions or labels).
CREATE TABLE IF NOT EXISTS judge_calibrations
(
    run_id                   String,
    judge_model              LowCardinality(String),
    prompt_version           LowCardinality(String),
    dataset_version          String,
    trigger                  LowCardinality(String),
    status                   LowCardinality(String),
    started_at               DateTime64(3, 'UTC'),
    finished_at              DateTime64(3, 'UTC'),
    items                    UInt32,
    evaluated                UInt32,
    unevaluated              UInt32,
    tokens                   UInt64,
    hallucination_tp         UInt32,
    hallucination_fp         UInt32,
    hallucination_fn         UInt32,
    hallucination_tn         UInt32,
    hallucination_precision  Nullable(Float64),
    hallucination_recall     Nullable(Float64),
    hallucination_f1         Nullable(Float64),
    toxicity_tp              UInt32,
    toxicity_fp              UInt32,
    toxicity_fn              UInt32,
    toxicity_tn              UInt32,
    toxicity_precision       Nullable(Float64),
    toxicity_recall          Nullable(Float64),
    toxicity_f1              Nullable(Float64),
    error                    String,
    details                  String,
    version                  UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (judge_model, prompt_version, run_id)
SETTINGS non_replicated_deduplication_window = 1000
