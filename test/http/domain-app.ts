// The domain routes' optional dependencies (config, contentSink) under test. buildApp fills ApiDeps itself,
// so a test file that needs them replaces the resource list with one that adds them, keeping everything
// else of the real app (auth, validation, error handling):
//
//   const extra = vi.hoisted(() => ({ deps: {} }));
//   vi.mock('../../src/http/routes/index.ts', async (original) =>
//     (await import('./domain-app.ts')).withExtraDeps(await original(), () => extra.deps));
//
// and sets extra.deps before startTestApp. Only types are imported here: this module is loaded while the
// mocked module is being built.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../src/config.ts';
import type * as routes from '../../src/http/routes/index.ts';
import type { ApiDeps } from '../../src/http/api-deps.ts';

type RoutesModule = typeof routes;

export function withExtraDeps(original: RoutesModule, extra: () => Partial<ApiDeps>): RoutesModule {
  return {
    ...original,
    apiResources: original.apiResources.map((plugin) => {
      const withDeps: FastifyPluginAsyncZod<ApiDeps> = (app, deps) => plugin(app, { ...deps, ...extra() });
      return withDeps;
    }),
  };
}

/** A configuration whose SOVI_HOME (and so media folder) is a fresh temporary folder. */
export async function configWithHome(
  env: Record<string, string> = {},
): Promise<{ config: Config; home: string; mediaDir: string }> {
  const { loadConfig } = await import('../../src/config.ts');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-api-test-'));
  const config = loadConfig({ SOVI_HOST_NAME: 'api-test-host', SOVI_HOME: home, ...env });
  fs.mkdirSync(config.content.mediaDir, { recursive: true });
  return { config, home, mediaDir: config.content.mediaDir };
}
