import { z } from 'zod';
import { CollectionIntervalsSchema } from '../../schedules';

const GUID = z.string().regex(/^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, 'must be a GUID');

/**
 * An Azure connection: a service principal (tenant, client id, and the secret
 * `client_secret` in the connection's secrets) with Reader + Cost Management Reader.
 */
export const AzureSettingsSchema = z.object({
  tenant_id: GUID,
  client_id: GUID,
  subscription_ids: z.array(GUID).min(1),
  /** Cost query scope; defaults to each subscription (`subscriptions/{id}`). */
  cost_scope: z.string().min(1).optional(),
  /** Last month is re-read through this day of the month (Azure closes a month within about 5 days). */
  cost_month_final_day: z.number().int().min(1).max(28).default(7),
  /** Redirects every Azure call (ARM, login and Retail Prices) to this base URL (tests). */
  endpoint: z.string().url().optional(),
  /** Minutes between scheduled performance / inventory collections (default 15; multiples of 5). */
  collection_intervals: CollectionIntervalsSchema.optional(),
});
export type AzureSettings = z.infer<typeof AzureSettingsSchema>;
