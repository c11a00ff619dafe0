import { Option, type Command } from 'commander';
import { builtinMedia } from '../content/builtin-media.ts';
import { invalidInput } from '../errors.ts';
import { startDemoFleet } from '../demo/demo-fleet.ts';
import { refuseRealData } from '../demo/demo-guard.ts';
import { seedDemo, startMetricsTicker } from '../demo/seed-demo.ts';
import { startSovi, type StartOptions } from '../main-job.ts';
import { countUsers } from '../users/users-service.ts';
import { action } from './context.ts';

export function registerUpCommand(up: Command): void {
  up.addOption(new Option('--port <port>', 'HTTP port (overrides SOVI_PORT, default 8080)'))
    .addOption(new Option('--host <host>', 'HTTP bind address (overrides SOVI_HOST, default 127.0.0.1)'))
    .option('--no-worker', "serve only: do not run this host's warming worker and device monitor")
    .option(
      '--demo',
      'a first look, kept in ./.sovi-demo (or SOVI_HOME if set): a simulated fleet (fake phones, accounts, ' +
        'content) and the simulators; refuses a database holding anything else',
    )
    .action(
      action(
        async (ctx, options: { port?: string; host?: string; worker: boolean; demo?: boolean }) => {
          let port = ctx.config.http.port;
          if (options.port !== undefined) {
            if (!/^\d+$/.test(options.port) || Number(options.port) > 65535) {
              throw invalidInput(
                '--port',
                `--port: expected an integer between 0 and 65535, got "${options.port}"`,
              );
            }
            port = Number(options.port);
          }
          const demo = options.demo ? await startDemoFleet(ctx.config) : undefined;
          if (demo) ctx.onClose(() => demo.stop());
          const base = demo?.config ?? ctx.config;
          const config = { ...base, http: { host: options.host ?? base.http.host, port } };
          let token: string | undefined;
          const start: StartOptions = { worker: options.worker };
          if (demo) {
            Object.assign(start, {
              policies: demo.policies,
              beforeMigrate: (database) => refuseRealData(database, config.home),
              beforeServices: async (database, policies) => {
                ({ token } = await seedDemo({
                  config,
                  database,
                  logger: ctx.logger,
                  fleet: demo,
                  policy: policies.content,
                  media: builtinMedia(config.content, ctx.logger),
                }));
              },
            } satisfies StartOptions);
          }
          const running = await startSovi(config, ctx.logger, start);
          ctx.onClose(() => running.close());
          if (demo) {
            const ticker = startMetricsTicker(running.database, ctx.logger);
            ctx.onClose(() => ticker.stop());
          }
          ctx.print(`sovi is up at ${running.url} (database: ${running.database.description})`);
          if (token) ctx.print(`demo: open ${running.url} and sign in with this token: ${token}`);
          // A fresh install has nobody to sign in as: say how to make the first admin.
          if (!token && (await countUsers(running.database.db)) === 0) {
            ctx.print(
              'no users yet: create the first admin with `sovi users add --name you --role admin` ' +
                '(it asks for a password), then sign in at the address above',
            );
          }
          await ctx.untilStopped();
        },
        { longRunning: true },
      ),
    );
}
