import type { CfnApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Node } from 'constructs';
import { type Stack, StaticSite } from 'sst/constructs';

/** Where the console answers under `sst dev` (the site is not deployed then). */
export const CONSOLE_DEV_URL = 'http://localhost:3000';

/**
 * The web console (web/): an SST StaticSite (S3 + CloudFront) built by Vite with the API's
 * URL injected as VITE_API_URL, and the HTTP API's CORS narrowed to exactly the site's
 * origin. In the Api stack on purpose: the site needs the API's URL and the API's CORS
 * needs the site's, which across two stacks would be a cyclic reference.
 */
export function addConsole(stack: Stack, api: { url: string; cdk: { httpApi: { node: Node } } }): StaticSite {
  const site = new StaticSite(stack, 'Console', {
    path: 'web',
    buildCommand: 'npx vite build',
    buildOutput: 'dist',
    errorPage: 'redirect_to_index_page',
    environment: { VITE_API_URL: api.url },
    dev: { url: CONSOLE_DEV_URL },
  });
  const cfn = api.cdk.httpApi.node.defaultChild as CfnApi;
  cfn.addPropertyOverride('CorsConfiguration.AllowOrigins', [site.url]);
  stack.addOutputs({ ConsoleUrl: site.url });
  return site;
}
