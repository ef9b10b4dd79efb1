import { z } from 'zod';
import { CollectionIntervalsSchema } from '../../schedules';

/** A Vultr connection: the API key in the connection's secret `api_key`. */
export const VultrSettingsSchema = z.object({
  base_url: z.string().url().default('https://api.vultr.com'),
  /** Last month is re-read through this day of the month, until its invoice has replaced the pending charges. */
  cost_month_final_day: z.number().int().min(1).max(28).default(3),
  /** Minutes between scheduled performance / inventory collections (default 15; multiples of 5). */
  collection_intervals: CollectionIntervalsSchema.optional(),
});
export type VultrSettings = z.infer<typeof VultrSettingsSchema>;
