// Chooses the session executor from configuration: the built-in simulator, or a plug-in module (by path)
// whose default export or `createExecutor` export is an ExecutorFactory.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SoviError } from '../errors.ts';
import type { ExecutorFactory, SessionExecutor } from './executor.ts';
import { createSimulatorExecutor } from './simulator-executor.ts';

export async function loadExecutor(
  spec: string,
  options: Readonly<Record<string, unknown>>,
  cwd: string = process.cwd(),
): Promise<SessionExecutor> {
  if (spec === 'simulator') return createSimulatorExecutor(options);
  const file = path.resolve(cwd, spec);
  let module: { default?: unknown; createExecutor?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as typeof module;
  } catch (err) {
    throw new SoviError('config', `SOVI_EXECUTOR: cannot load ${file}: ${(err as Error).message}`, {
      field: 'SOVI_EXECUTOR',
    });
  }
  const factory = (module.createExecutor ?? module.default) as ExecutorFactory | undefined;
  if (typeof factory !== 'function') {
    throw new SoviError('config', `SOVI_EXECUTOR: ${file} exports no createExecutor(options) function`, {
      field: 'SOVI_EXECUTOR',
    });
  }
  const executor = await factory(options);
  if (typeof executor?.runSession !== 'function') {
    throw new SoviError(
      'config',
      `SOVI_EXECUTOR: ${file}'s createExecutor() did not return an executor with runSession()`,
      {
        field: 'SOVI_EXECUTOR',
      },
    );
  }
  return executor;
}
