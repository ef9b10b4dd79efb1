import { createDefaultHttpClient, type HttpClient } from '@azure/core-rest-pipeline';
import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import type { Connection } from '../../collector/types';
import { ProviderConfigError } from '../../errors';
import type { AzureSettings } from './config';

/**
 * With `endpoint` set, every request the Azure SDK makes (ARM, metrics, login) keeps its
 * real https:// URL inside the SDK but is sent to `endpoint` over HTTP. Azure's bearer
 * policy refuses http:// URLs, so rewriting at the transport is the only way to run the
 * real clients against a local server (see shared/reference/cloud-apis.md §3).
 */
export function azureHttpClient(endpoint?: string): HttpClient | undefined {
  if (!endpoint) return undefined;
  const inner = createDefaultHttpClient();
  const base = new URL(endpoint);
  return {
    sendRequest(req) {
      const u = new URL(req.url);
      req.url = `${base.protocol}//${base.host}${u.pathname.replace(/^\/\/+/, '/')}${u.search}`;
      req.allowInsecureConnection = base.protocol === 'http:';
      return inner.sendRequest(req);
    },
  };
}

/** The service principal's credential (client secret flow). */
export function azureCredential(conn: Connection<AzureSettings>): TokenCredential {
  const secret = conn.secrets.client_secret;
  if (!secret) throw new ProviderConfigError('azure', 'secret client_secret is required');
  const httpClient = azureHttpClient(conn.settings.endpoint);
  return new ClientSecretCredential(conn.settings.tenant_id, conn.settings.client_id, secret, {
    ...(httpClient ? { httpClient, disableInstanceDiscovery: true } : {}),
  });
}

/** Client options shared by the ARM clients of this connection. */
export function azureClientOptions(conn: Connection<AzureSettings>): {
  httpClient?: HttpClient;
  retryOptions: { maxRetries: number };
} {
  const httpClient = azureHttpClient(conn.settings.endpoint);
  // Our retry loop owns backoff; the pipeline retries nothing itself.
  return { ...(httpClient ? { httpClient } : {}), retryOptions: { maxRetries: 0 } };
}
