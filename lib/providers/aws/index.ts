import type { ProviderDefinition } from '../../collector/types';
import { type AwsSettings, AwsSettingsSchema } from './config';

/** Amazon Web Services. Collectors live one file per data type next to this one. */
export const awsProvider: ProviderDefinition<AwsSettings> = {
  id: 'aws',
  displayName: 'Amazon Web Services',
  category: 'hyperscaler',
  settingsSchema: AwsSettingsSchema,
  collectors: {},
  async testConnection() {
    throw new Error('aws: connection test not implemented yet');
  },
};
