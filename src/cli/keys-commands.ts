import type { Command } from 'commander';
import { countValuesByKey, rotateKeys } from '../vault/key-rotation.ts';
import { generateKeyLine } from '../vault/keyring.ts';
import { action } from './context.ts';
import { table } from './format.ts';
import { parseInteger } from './parse.ts';
import { progress } from './progress.ts';
import { readCommand } from './read-command.ts';

export function registerKeysCommands(keys: Command): void {
  keys
    .command('generate')
    .description('print a new key line ("id:base64") for SOVI_VAULT_KEYS or the key file')
    .option('--id <id>', 'key id (default: k + date + random suffix)')
    .action(
      action(async (ctx, o: { id?: string }) => {
        ctx.print(generateKeyLine(o.id));
        process.stderr.write(
          'Add it LAST to SOVI_VAULT_KEYS (comma-separated) or to the key file, keeping the older keys, then run\n' +
            '`sovi keys rotate`. Remove an older key only when `sovi keys status` shows no value under it.\n',
        );
      }),
    );

  keys
    .command('rotate')
    .description(
      're-encrypt every secret under the newest key, in batches; safe to run while sovi runs, and to re-run',
    )
    .option('--batch-size <n>', 'rows per transaction (default 500)', (v) =>
      parseInteger('--batch-size', v, 1, 100_000),
    )
    .action(
      action(async (ctx, o: { batchSize?: number }) => {
        const db = await ctx.db();
        const bar = progress('rotate');
        const controller = new AbortController();
        ctx.onClose(async () => controller.abort());
        try {
          const result = await rotateKeys(db, ctx.vault, {
            batchSize: o.batchSize,
            actor: ctx.config.actor,
            signal: controller.signal,
            onProgress: (p) => bar.update(p.rowsScanned, p.rowsTotal),
          });
          bar.stop();
          ctx.print(
            `rotated to key ${result.keyId}: ${result.valuesRewritten} values re-encrypted in ${result.rowsScanned} accounts; ` +
              `${result.valuesLeftOnOldKeys} values left on older keys`,
          );
        } finally {
          bar.stop();
        }
      }),
    );

  readCommand(keys, {
    spec: 'status',
    description: 'how many stored values each key seals, and which keys are configured',
    read: async (ctx) => {
      const counts = await countValuesByKey(await ctx.db());
      const newest = ctx.vault.isConfigured() ? ctx.vault.currentKeyId() : null;
      const rows = [...counts.entries()].map(([id, n]) => ({
        keyId: id,
        values: n,
        configured: ctx.vault.hasKey(id),
        newest: id === newest,
      }));
      if (newest && !counts.has(newest))
        rows.push({ keyId: newest, values: 0, configured: true, newest: true });
      return rows;
    },
    text: (rows) =>
      rows.length === 0
        ? 'no secrets are stored, and no key is configured'
        : table(
            ['key', 'values', 'configured', 'newest'],
            rows.map((r) => [r.keyId, r.values, r.configured ? 'yes' : 'NO', r.newest ? 'yes' : '']),
          ),
  });
}
