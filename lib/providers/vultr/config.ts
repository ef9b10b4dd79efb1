import { z } from 'zod';

/** A Vultr connection: the API key in the connection's secret `api_key`. */
export const VultrSettingsSchema = z.object({
  base_url: z.string().url().default('https://api.vultr.com'),
});
export type VultrSettings = z.infer<typeof VultrSettingsSchema>;
