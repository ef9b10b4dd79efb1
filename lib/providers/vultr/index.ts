import type { ProviderDefinition } from '../../collector/types';
import { DAY_MS } from '../../time';
import { type VultrSettings, VultrSettingsSchema } from './config';
import { collectVultrPerformance } from './performance';
import { collectVultrResources } from './resource';

/** Vultr. Collectors live one file per data type next to this one. */
export const vultrProvider: ProviderDefinition<VultrSettings> = {
  id: 'vultr',
  displayName: 'Vultr',
  category: 'general_compute',
  settingsSchema: VultrSettingsSchema,
  collectors: {
    performance: collectVultrPerformance,
    resource: collectVultrResources,
  },
  windows: {
    // Bandwidth is per day: re-read yesterday (final figure) and today (still growing).
    performance: { initialLookbackMs: 7 * DAY_MS, restatementMs: DAY_MS },
  },
  async testConnection() {
    throw new Error('vultr: connection test not implemented yet');
  },
};
