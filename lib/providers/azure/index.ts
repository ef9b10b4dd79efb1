import type { ProviderDefinition } from '../../collector/types';
import { type AzureSettings, AzureSettingsSchema } from './config';

/** Microsoft Azure. Collectors live one file per data type next to this one. */
export const azureProvider: ProviderDefinition<AzureSettings> = {
  id: 'azure',
  displayName: 'Microsoft Azure',
  category: 'hyperscaler',
  settingsSchema: AzureSettingsSchema,
  collectors: {},
  async testConnection() {
    throw new Error('azure: connection test not implemented yet');
  },
};
