import type { ProviderDefinition } from '../../collector/types';
import { MINUTE_MS } from '../../time';
import { type AzureSettings, AzureSettingsSchema } from './config';
import { collectAzurePerformance } from './performance';
import { collectAzureResources } from './resource';

/** Microsoft Azure. Collectors live one file per data type next to this one. */
export const azureProvider: ProviderDefinition<AzureSettings> = {
  id: 'azure',
  displayName: 'Microsoft Azure',
  category: 'hyperscaler',
  settingsSchema: AzureSettingsSchema,
  collectors: {
    performance: collectAzurePerformance,
    resource: collectAzureResources,
  },
  windows: {
    // Platform metrics arrive 1–3 minutes late: re-read the last 20 minutes.
    performance: { initialLookbackMs: 60 * MINUTE_MS, restatementMs: 20 * MINUTE_MS },
  },
  async testConnection() {
    throw new Error('azure: connection test not implemented yet');
  },
};
