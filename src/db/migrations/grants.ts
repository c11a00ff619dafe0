// When DDL runs as a table owner and the application logs in as another role, the application role gets
// DML on what the owner created, now and in the future, but may not touch the migration records.
import type pg from 'pg';
import { SoviError } from '../../errors.ts';
import { MIGRATIONS_TABLE } from './files.ts';

export async function grantAppRole(client: pg.ClientBase, role: string): Promise<void> {
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (exists.rowCount === 0) {
    throw new SoviError('config', `SOVI_DB_APP_ROLE: role "${role}" does not exist on the server`, {
      field: 'SOVI_DB_APP_ROLE',
    });
  }
  const r = client.escapeIdentifier(role);
  // The job engine's schema, once installed, is the application's to use as well (not to alter).
  const jobs = await client.query<{ ok: boolean }>(`SELECT to_regnamespace('pgboss') IS NOT NULL AS ok`);
  if (jobs.rows[0]?.ok) {
    await client.query(`
      GRANT USAGE ON SCHEMA pgboss TO ${r};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pgboss TO ${r};
      GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA pgboss TO ${r};
      GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgboss TO ${r};
      ALTER DEFAULT PRIVILEGES IN SCHEMA pgboss GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r};
      ALTER DEFAULT PRIVILEGES IN SCHEMA pgboss GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${r};
    `);
  }
  await client.query(`
    GRANT USAGE ON SCHEMA public TO ${r};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r};
    GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${r};
    REVOKE INSERT, UPDATE, DELETE ON ${MIGRATIONS_TABLE} FROM ${r};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${r};
  `);
}
