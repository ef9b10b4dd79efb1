import { PassThroughClient } from 'google-auth-library';
import type { Connection } from '../../collector/types';
import { ProviderConfigError } from '../../errors';
import type { GcpSettings } from './config';

interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  project_id?: string;
}

/** The parsed service-account key, or undefined for Application Default Credentials. */
export function gcpCredentials(conn: Connection<GcpSettings>): ServiceAccountKey | undefined {
  const raw = conn.secrets.service_account_key;
  if (!raw) return undefined;
  try {
    const key = JSON.parse(raw) as ServiceAccountKey;
    if (!key.client_email || !key.private_key) throw new Error('missing client_email or private_key');
    return key;
  } catch (err) {
    throw new ProviderConfigError(
      'gcp',
      `secret service_account_key is not a service-account key JSON: ${(err as Error).message}`,
    );
  }
}

/**
 * Options for google-gax clients (Monitoring, Compute, Billing). With `endpoint` set they
 * speak REST (fallback) over plain HTTP to it and send no credentials, which is how tests
 * point the real SDK at a local server.
 *
 * @example
 * const client = new MetricServiceClient(gaxClientOptions(connection));
 */
export function gaxClientOptions(conn: Connection<GcpSettings>): Record<string, unknown> {
  const s = conn.settings;
  if (s.endpoint) {
    const u = new URL(s.endpoint);
    return {
      fallback: true,
      protocol: u.protocol.replace(':', ''),
      apiEndpoint: u.hostname,
      port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
      authClient: new PassThroughClient(),
    };
  }
  const credentials = gcpCredentials(conn);
  return {
    ...(credentials
      ? { credentials: { client_email: credentials.client_email, private_key: credentials.private_key } }
      : {}),
    projectId: credentials?.project_id ?? s.project_ids[0],
  };
}
