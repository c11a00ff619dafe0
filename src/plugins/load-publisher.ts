// Chooses the publisher from configuration: the built-in simulator, or a plug-in module (by path) whose
// default export or `createPublisher` export is a PublisherFactory.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SoviError } from '../errors.ts';
import type { Publisher, PublisherContext, PublisherFactory } from './publisher.ts';
import { createSimulatorPublisher } from './simulator-publisher.ts';

export async function loadPublisher(
  spec: string,
  options: Readonly<Record<string, unknown>>,
  context: PublisherContext,
  cwd: string = process.cwd(),
): Promise<Publisher> {
  if (spec === 'simulator') return createSimulatorPublisher(options, context);
  const file = path.resolve(cwd, spec);
  let module: { default?: unknown; createPublisher?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as typeof module;
  } catch (err) {
    throw new SoviError('config', `SOVI_PUBLISHER: cannot load ${file}: ${(err as Error).message}`, {
      field: 'SOVI_PUBLISHER',
    });
  }
  const factory = (module.createPublisher ?? module.default) as PublisherFactory | undefined;
  if (typeof factory !== 'function') {
    throw new SoviError(
      'config',
      `SOVI_PUBLISHER: ${file} exports no createPublisher(options, context) function`,
      { field: 'SOVI_PUBLISHER' },
    );
  }
  const publisher = await factory(options, context);
  if (typeof publisher?.publish !== 'function') {
    throw new SoviError(
      'config',
      `SOVI_PUBLISHER: ${file}'s createPublisher() did not return a publisher with publish()`,
      {
        field: 'SOVI_PUBLISHER',
      },
    );
  }
  return publisher;
}
