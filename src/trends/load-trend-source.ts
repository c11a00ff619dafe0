// Chooses the trend source from configuration: the built-in Reddit reader, or a plug-in module (by path)
// whose `createTrendSource` export or default export is a TrendSourceFactory.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SoviError } from '../errors.ts';
import { createRedditSource } from './reddit-source.ts';
import type { TrendSource, TrendSourceContext, TrendSourceFactory } from './trend-source.ts';
import type { TrendsSettings } from '../settings/trends-settings.ts';

const SOURCE_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * `spec` is settings.sourceSpec unless a command names another; `field` is what a bad one is reported as
 * (the variable, or the command's option).
 */
export async function loadTrendSource(
  settings: TrendsSettings,
  context: TrendSourceContext,
  options: { spec?: string; field?: string; cwd?: string } = {},
): Promise<TrendSource> {
  const spec = options.spec ?? settings.sourceSpec;
  const field = options.field ?? 'SOVI_TRENDS_SOURCE';
  if (spec === 'reddit') {
    return createRedditSource({
      baseUrl: settings.redditBaseUrl,
      subreddits: Object.fromEntries(Object.entries(settings.subreddits).map(([k, v]) => [k, [...v]])),
      ...settings.sourceOptions,
    });
  }
  const file = path.resolve(options.cwd ?? process.cwd(), spec);
  let module: { default?: unknown; createTrendSource?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as typeof module;
  } catch (err) {
    throw new SoviError(
      'config',
      `${field}: expected reddit or a plug-in module; cannot load ${file}: ${(err as Error).message}`,
      { field },
    );
  }
  const factory = (module.createTrendSource ?? module.default) as TrendSourceFactory | undefined;
  if (typeof factory !== 'function') {
    throw new SoviError(
      'config',
      `${field}: ${file} exports no createTrendSource(options, context) function`,
      {
        field,
      },
    );
  }
  const source = await factory(settings.sourceOptions, context);
  if (
    typeof source?.name !== 'string' ||
    !SOURCE_NAME.test(source.name) ||
    typeof source.targets !== 'function' ||
    typeof source.fetch !== 'function'
  ) {
    throw new SoviError(
      'config',
      `${field}: ${file}'s createTrendSource() did not return a source with a snake_case name, targets() and fetch()`,
      { field },
    );
  }
  return source;
}
