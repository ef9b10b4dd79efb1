#!/usr/bin/env node
// `npx optiinfra <command>`: the CLI is TypeScript run through tsx, like every npm script.
import { register } from 'tsx/esm/api';

register();
await import('../lib/cli/main.ts');
