import { Option, type Command } from 'commander';
import { invalidInput } from '../errors.ts';
import { startSovi } from '../main-job.ts';
import { action } from './context.ts';

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('the main job: start the database (embedded if no DATABASE_URL), migrate, and serve')
    .addOption(new Option('--port <port>', 'HTTP port (overrides SOVI_PORT, default 8080)'))
    .addOption(new Option('--host <host>', 'HTTP bind address (overrides SOVI_HOST, default 127.0.0.1)'))
    .option('--no-worker', "serve only: do not run this host's warming worker and device monitor")
    .action(
      action(
        async (ctx, options: { port?: string; host?: string; worker: boolean }) => {
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
          const config = { ...ctx.config, http: { host: options.host ?? ctx.config.http.host, port } };
          const running = await startSovi(config, ctx.logger, { worker: options.worker });
          ctx.onClose(() => running.close());
          ctx.print(`sovi is up at ${running.url} (database: ${running.database.description})`);
          await ctx.untilStopped();
        },
        { longRunning: true },
      ),
    );
}
