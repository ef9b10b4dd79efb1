import type { ProviderDefinition } from '../../collector/types';
import { openMonthsStart } from '../../costs/periods';
import { DAY_MS } from '../../time';
import { type VultrSettings, VultrSettingsSchema } from './config';
import { collectVultrCost, vultrAccount } from './cost';
import { collectVultrPerformance } from './performance';
import { collectVultrResources } from './resource';

/** Vultr. Collectors live one file per data type next to this one. */
export const vultrProvider: ProviderDefinition<VultrSettings> = {
  id: 'vultr',
  displayName: 'Vultr',
  category: 'general_compute',
  settingsSchema: VultrSettingsSchema,
  collectors: {
    cost: collectVultrCost,
    performance: collectVultrPerformance,
    resource: collectVultrResources,
  },
  windows: {
    // Pending charges accrue through the month; the invoice replaces them after it closes.
    cost: {
      maxBackfillMs: 70 * DAY_MS,
      restateFrom: (now, s, watermark) => openMonthsStart(now, watermark ? s.cost_month_final_day : 31),
    },
    // Bandwidth is per day: re-read yesterday (final figure) and today (still growing).
    performance: { initialLookbackMs: 7 * DAY_MS, restatementMs: DAY_MS },
  },
  /** GET /v2/account with the API key (free). */
  async testConnection({ connection, signal }) {
    await vultrAccount({ connection, signal });
  },
};
