import { beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DEV_URL } from '../../stacks/Console';
import { type Json, type SynthesizedApp, synthesize } from './synth';

/**
 * The web console in AWS: an SST StaticSite (S3 + CloudFront) with the API's URL injected
 * at build, and the HTTP API's CORS allowing exactly the site's origin — not `*`.
 */
let synth: SynthesizedApp;
let resources: Record<string, { Type: string; Properties: Record<string, Json> }>;
beforeAll(async () => {
  synth = await synthesize();
  resources = synth.templates.Api.toJSON().Resources;
});

const ofType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);

describe('Console stack', () => {
  it('deploys the console as a CloudFront distribution in front of an S3 bucket, routing unknown paths to index.html', () => {
    const dists = ofType('AWS::CloudFront::Distribution');
    expect(dists).toHaveLength(1);
    const config = (dists[0] as [string, { Properties: Json }])[1].Properties.DistributionConfig;
    expect(config.DefaultRootObject).toBe('index.html');
    expect(JSON.stringify(config.CustomErrorResponses ?? [])).toContain('index.html');
    const origin = JSON.stringify(config.Origins);
    const buckets = ofType('AWS::S3::Bucket').map(([id]) => id);
    expect(buckets.some((id) => origin.includes(id))).toBe(true);
  });

  it('builds web/ with Vite and the API URL as VITE_API_URL', () => {
    const site = synth.stacks.Api.node.findAll().find((c) => c.node.id === 'Console') as unknown as {
      props: { path: string; buildCommand: string; buildOutput: string; environment: Record<string, string> };
    };
    expect(site.props.path).toBe('web');
    expect(site.props.buildCommand).toContain('vite build');
    expect(site.props.buildOutput).toBe('dist');
    const apiUrl = synth.stacks.Api.resolve(site.props.environment.VITE_API_URL);
    const api = ofType('AWS::ApiGatewayV2::Api');
    expect(api).toHaveLength(1);
    expect(JSON.stringify(apiUrl)).toContain((api[0] as [string, unknown])[0]);
  });

  it("allows exactly the site's CloudFront origin in the HTTP API's CORS, with the bearer header", () => {
    const api = ofType('AWS::ApiGatewayV2::Api')[0]?.[1] as { Properties: Json };
    const cors = api.Properties.CorsConfiguration;
    expect(cors.AllowOrigins).toHaveLength(1);
    const origin = JSON.stringify(cors.AllowOrigins[0]);
    const distId = ofType('AWS::CloudFront::Distribution')[0]?.[0] as string;
    expect(origin).toContain(distId);
    expect(origin).toContain('https://');
    expect(origin).not.toContain('*');
    expect(cors.AllowHeaders).toEqual(expect.arrayContaining(['authorization', 'content-type']));
    expect(synth.templates.Api.toJSON().Outputs.ConsoleUrl).toBeDefined();
  });

  it('under sst dev allows the local console origin instead', async () => {
    const dev = await synthesize({ mode: 'dev', stage: 'dev' });
    const apis = Object.values(
      dev.templates.Api.toJSON().Resources as Record<string, { Type: string; Properties: Json }>,
    ).filter((r) => r.Type === 'AWS::ApiGatewayV2::Api');
    expect(apis[0]?.Properties.CorsConfiguration.AllowOrigins).toEqual([CONSOLE_DEV_URL]);
  });
});
