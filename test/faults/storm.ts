// The connection storm: terminates every server connection of one database at a fixed interval, from a
// connection of its own to another database (so it never terminates itself).
import pg from 'pg';

export interface Storm {
  /** Resolves when the storm is over: the number of rounds and of connections terminated. */
  readonly done: Promise<{ rounds: number; terminated: number }>;
}

export async function terminateConnections(adminUrl: string, database: string): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await killAll(client, database);
  } finally {
    await client.end();
  }
}

async function killAll(client: pg.Client, database: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n
       FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [database],
  );
  return rows[0]?.n ?? 0;
}

/** Terminates every connection to `database` each intervalMs for durationMs. */
export async function startStorm(
  adminUrl: string,
  database: string,
  options: { intervalMs: number; durationMs: number },
): Promise<Storm> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const done = (async () => {
    const end = performance.now() + options.durationMs;
    let rounds = 0;
    let terminated = 0;
    try {
      while (performance.now() < end) {
        const started = performance.now();
        terminated += await killAll(client, database);
        rounds++;
        const wait = options.intervalMs - (performance.now() - started);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    } finally {
      await client.end();
    }
    return { rounds, terminated };
  })();
  return { done };
}
