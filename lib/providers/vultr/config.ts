import { z } from 'zod';
import { CollectionIntervalsSchema } from '../../schedules';

/** A Vultr connection: the API key in the connection's secret `api_key`. */
export const VultrSettingsSchema = z.object({
  base_url: z.string().url().default('https://api.vultr.com'),
  /** Minutes between scheduled performance / inventory collections (default 15; multiples of 5). */
  collection_intervals: CollectionIntervalsSchema.optional(),
});
export type VultrSettings = z.infer<typeof VultrSettingsSchema>;
