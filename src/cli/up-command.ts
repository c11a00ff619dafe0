import { Option, type Command } from 'commander';
import { invalidInput } from '../errors.ts';
import { startDemoFleet } from '../demo/demo-fleet.ts';
import { seedDemo } from '../demo/seed-demo.ts';
import { startSovi } from '../main-job.ts';
import { action } from './context.ts';

export function registerUpCommand(up: Command): void {
  up.addOption(new Option('--port <port>', 'HTTP port (overrides SOVI_PORT, default 8080)'))
    .addOption(new Option('--host <host>', 'HTTP bind address (overrides SOVI_HOST, default 127.0.0.1)'))
    .option('--no-worker', "serve only: do not run this host's warming worker and device monitor")
    .option(
      '--demo',
      'a first look: seed a simulated fleet (fake phones, accounts, content) and run the simulators',
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
          const running = await startSovi(config, ctx.logger, { worker: options.worker });
          ctx.onClose(() => running.close());
          const seeded = demo
            ? await seedDemo(config, running.database, ctx.logger, demo, running.policies.content)
            : undefined;
          if (seeded) ctx.onClose(() => seeded.stop());
          ctx.print(`sovi is up at ${running.url} (database: ${running.database.description})`);
          if (seeded) ctx.print(`demo: open ${running.url} and sign in with this token: ${seeded.token}`);
          await ctx.untilStopped();
        },
        { longRunning: true },
      ),
    );
}
