// node --test loads a global setup module before the --import loaders apply to it, so this JavaScript shim loads
// the TypeScript setup (cluster-setup.ts) through tsx's API.
import { tsImport } from 'tsx/esm/api';

const setup = await tsImport('./cluster-setup.ts', import.meta.url);

export const globalSetup = setup.globalSetup;
export const globalTeardown = setup.globalTeardown;
