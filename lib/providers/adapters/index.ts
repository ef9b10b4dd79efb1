import type { ProviderAdapter } from './types';

/** Every API adapter this build ships (one folder each under lib/providers/adapters/). */
export const ADAPTERS: readonly ProviderAdapter[] = [];
