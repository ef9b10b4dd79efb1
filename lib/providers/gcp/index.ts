import type { ProviderDefinition } from '../../collector/types';
import { type GcpSettings, GcpSettingsSchema } from './config';

/** Google Cloud. Collectors live one file per data type next to this one. */
export const gcpProvider: ProviderDefinition<GcpSettings> = {
  id: 'gcp',
  displayName: 'Google Cloud',
  category: 'hyperscaler',
  settingsSchema: GcpSettingsSchema,
  collectors: {},
  async testConnection() {
    throw new Error('gcp: connection test not implemented yet');
  },
};
