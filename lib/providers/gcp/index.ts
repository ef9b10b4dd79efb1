import type { ProviderDefinition } from '../../collector/types';
import { MINUTE_MS } from '../../time';
import { type GcpSettings, GcpSettingsSchema } from './config';
import { collectGcpPerformance } from './performance';
import { collectGcpResources } from './resource';

/** Google Cloud. Collectors live one file per data type next to this one. */
export const gcpProvider: ProviderDefinition<GcpSettings> = {
  id: 'gcp',
  displayName: 'Google Cloud',
  category: 'hyperscaler',
  settingsSchema: GcpSettingsSchema,
  collectors: {
    performance: collectGcpPerformance,
    resource: collectGcpResources,
  },
  windows: {
    // Compute Engine samples show up to 4 minutes late: re-read the last 20 minutes.
    performance: { initialLookbackMs: 60 * MINUTE_MS, restatementMs: 20 * MINUTE_MS },
  },
  async testConnection() {
    throw new Error('gcp: connection test not implemented yet');
  },
};
