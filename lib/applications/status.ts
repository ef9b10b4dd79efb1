import type { Store } from '../clickhouse/client';
import { latestCalibration } from './calibration';
import type { EvaluationStatus } from './service';

/** The judge's latest calibration in one line of figures, for the summary read. */
export async function latestCalibrationHeadline(store: Store, status: EvaluationStatus) {
  const c = await latestCalibration(store, {
    judgeModel: status.judge_model,
    promptVersion: status.prompt_version,
  });
  if (!c) return null;
  return {
    run_id: c.run_id,
    finished_at: c.finished_at,
    status: c.status,
    dataset_version: c.dataset_version,
    hallucination: {
      precision: c.hallucination.precision,
      recall: c.hallucination.recall,
      f1: c.hallucination.f1,
    },
    toxicity: { precision: c.toxicity.precision, recall: c.toxicity.recall, f1: c.toxicity.f1 },
  };
}
