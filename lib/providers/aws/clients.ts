import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Connection } from '../../collector/types';
import type { AwsSettings } from './config';

export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  credentials?:
    | { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
    | ReturnType<typeof fromTemporaryCredentials>;
  /** Our retry loop (ctx.retry) owns backoff, so the SDK makes one attempt. */
  maxAttempts: number;
}

/**
 * Client configuration for any AWS SDK v3 client of this connection, in `region`.
 *
 * @example
 * const ce = new CostExplorerClient(awsClientConfig(connection, 'us-east-1'));
 */
export function awsClientConfig(conn: Connection<AwsSettings>, region: string): AwsClientConfig {
  const s = conn.settings;
  const base: AwsClientConfig = { region, maxAttempts: 1, ...(s.endpoint ? { endpoint: s.endpoint } : {}) };
  const staticKeys =
    conn.secrets.access_key_id && conn.secrets.secret_access_key
      ? {
          accessKeyId: conn.secrets.access_key_id,
          secretAccessKey: conn.secrets.secret_access_key,
          ...(conn.secrets.session_token ? { sessionToken: conn.secrets.session_token } : {}),
        }
      : undefined;
  if (s.role_arn) {
    return {
      ...base,
      credentials: fromTemporaryCredentials({
        params: {
          RoleArn: s.role_arn,
          ExternalId: s.external_id,
          RoleSessionName: `optiinfra-${conn.customerId}`.slice(0, 64),
          DurationSeconds: 3600,
        },
        clientConfig: { region, ...(s.endpoint ? { endpoint: s.endpoint } : {}) },
        ...(staticKeys ? { masterCredentials: staticKeys } : {}),
      }),
    };
  }
  return staticKeys ? { ...base, credentials: staticKeys } : base;
}
