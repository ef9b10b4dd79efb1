import type { SSTConfig } from 'sst';
import { Api } from './stacks/Api';
import { Collectors } from './stacks/Collectors';
import { Config } from './stacks/Config';
import { functionDefaults } from './stacks/defaults';
import { Storage } from './stacks/Storage';

/**
 * The SST v2 app: `npx sst deploy --stage prod` (docs/DEPLOY.md). Stacks deploy in
 * dependency order: Config → Storage (migrations) → Collectors → Api.
 */
export default {
  config() {
    return {
      name: 'optiinfra',
      // `--region` on the command line wins over both.
      region: process.env.AWS_REGION || 'us-east-1',
    };
  },
  stacks(app) {
    app.setDefaultFunctionProps(functionDefaults(process.env));
    // Stages other than prod are throwaway: `sst remove` leaves nothing behind.
    if (app.stage !== 'prod') app.setDefaultRemovalPolicy('destroy');
    app.stack(Config).stack(Storage).stack(Collectors).stack(Api);
  },
} satisfies SSTConfig;
