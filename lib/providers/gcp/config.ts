import { z } from 'zod';
import { CollectionIntervalsSchema } from '../../schedules';

/**
 * A GCP connection. Credentials: a service-account key (JSON) in the connection's secret
 * `service_account_key`, or Application Default Credentials when absent.
 */
export const GcpSettingsSchema = z.object({
  /** Projects whose resources and metrics are collected. */
  project_ids: z.array(z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id')).min(1),
  /** e.g. 012345-567890-ABCDEF */
  billing_account_id: z
    .string()
    .regex(/^[A-F0-9]{6}-[A-F0-9]{6}-[A-F0-9]{6}$/, 'must look like 012345-567890-ABCDEF')
    .optional(),
  /** The Cloud Billing export table: project.dataset.gcp_billing_export_v1_XXXXXX_XXXXXX_XXXXXX */
  billing_export_table: z
    .string()
    .regex(
      /^[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]{1,1024}\.[A-Za-z0-9_]{1,1024}$/,
      'must be project.dataset.table',
    )
    .optional(),
  /** Last month is re-read through this day of the month (the export keeps changing after month end). */
  cost_month_final_day: z.number().int().min(1).max(28).default(5),
  /** Cap on bytes one cost query may bill (BigQuery maximumBytesBilled); the query fails rather than cost more. */
  cost_query_max_bytes_billed: z.number().int().positive().optional(),
  /** Overrides Google API endpoints (tests): http://127.0.0.1:PORT */
  endpoint: z.string().url().optional(),
  /** Minutes between scheduled performance / inventory collections (default 15; multiples of 5). */
  collection_intervals: CollectionIntervalsSchema.optional(),
});
export type GcpSettings = z.infer<typeof GcpSettingsSchema>;
