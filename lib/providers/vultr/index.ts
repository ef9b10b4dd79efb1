import type { ProviderDefinition } from '../../collector/types';
import { type VultrSettings, VultrSettingsSchema } from './config';

/** Vultr. Collectors live one file per data type next to this one. */
export const vultrProvider: ProviderDefinition<VultrSettings> = {
  id: 'vultr',
  displayName: 'Vultr',
  category: 'general_compute',
  settingsSchema: VultrSettingsSchema,
  collectors: {},
  async testConnection() {
    throw new Error('vultr: connection test not implemented yet');
  },
};
