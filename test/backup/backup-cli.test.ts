// @no-database
// The backup commands as a person meets them: on an external server they refuse and say what to use
// instead; bad options are named. (The backup work itself is tested in backup-restore.test.ts.)
import { describe, expect, it } from 'vitest';
import { cliTestTimeout, runSovi } from '../helpers/cli.ts';

// Nothing listens there: the commands must refuse before connecting.
const external = { DATABASE_URL: 'postgresql://sovi:secret-password@127.0.0.1:1/sovi' };

describe('sovi db backup commands', () => {
  it(
    'refuse on an external server, naming pg_dump and pgBackRest, without echoing the password',
    async () => {
      for (const args of [
        ['db', 'backup'],
        ['db', 'backups'],
        ['db', 'restore'],
        ['db', 'verify-backup'],
      ]) {
        const r = await runSovi(args, external);
        expect(r.code, args.join(' ')).not.toBe(0);
        expect(r.stderr).toMatch(/sovi backs up only its embedded PostgreSQL.*pg_dump, or pgBackRest/);
        expect(r.stderr).not.toContain('secret-password');
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    },
    cliTestTimeout(4),
  );

  it(
    'names a bad --to-time and a bad SOVI_BACKUP_CRON',
    async () => {
      const badTime = await runSovi(['db', 'restore', '--to-time', 'yesterday'], {
        SOVI_HOME: '/nonexistent',
      });
      expect(badTime.code).not.toBe(0);
      expect(badTime.stderr).toContain('--to-time: expected an ISO-8601 time');
      const badCron = await runSovi(['db', 'backups'], { SOVI_BACKUP_CRON: 'daily' });
      expect(badCron.code).not.toBe(0);
      expect(badCron.stderr).toContain('SOVI_BACKUP_CRON: expected a cron expression');
    },
    cliTestTimeout(2),
  );
});
