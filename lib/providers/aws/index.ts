import type { ProviderDefinition } from '../../collector/types';
import { MINUTE_MS } from '../../time';
import { type AwsSettings, AwsSettingsSchema } from './config';
import { collectAwsPerformance } from './performance';
import { collectAwsResources } from './resource';

/** Amazon Web Services. Collectors live one file per data type next to this one. */
export const awsProvider: ProviderDefinition<AwsSettings> = {
  id: 'aws',
  displayName: 'Amazon Web Services',
  category: 'hyperscaler',
  settingsSchema: AwsSettingsSchema,
  collectors: {
    performance: collectAwsPerformance,
    resource: collectAwsResources,
  },
  windows: {
    // CloudWatch publishes EC2/RDS data a few minutes late: re-read the last 20 minutes.
    performance: { initialLookbackMs: 60 * MINUTE_MS, restatementMs: 20 * MINUTE_MS },
  },
  async testConnection() {
    throw new Error('aws: connection test not implemented yet');
  },
};
