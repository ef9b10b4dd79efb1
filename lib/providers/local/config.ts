import { z } from 'zod';

export const LocalSettingsSchema = z.object({
  /** What this machine costs per hour (decimal text); no cost rows without it. */
  hourly_rate: z
    .string()
    .regex(/^\d+(\.\d{1,10})?$/, 'must be a decimal such as "0.42"')
    .optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
    .default('USD'),
});
export type LocalSettings = z.infer<typeof LocalSettingsSchema>;
