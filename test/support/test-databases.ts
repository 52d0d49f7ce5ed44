import pg from 'pg';

/**
 * Statements about whole databases, run over a connection to `adminUrl` (the run's base
 * test database, which nothing else uses: CREATE DATABASE … TEMPLATE refuses while anyone
 * is connected to the template).
 */
async function onServer<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export function createDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  return onServer(adminUrl, async (client) => {
    const from = template ? ` template ${client.escapeIdentifier(template)}` : '';
    await client.query(`create database ${client.escapeIdentifier(name)}${from}`);
  });
}

/** Drops each (a few at a time), closing whatever connections a test left open to it. */
export async function dropDatabases(adminUrl: string, names: string[]): Promise<void> {
  const queue = [...names];
  const lanes = Array.from({ length: Math.min(4, queue.length) }, () =>
    onServer(adminUrl, async (client) => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
      }
    }),
  );
  await Promise.all(lanes);
}

export function listDatabases(adminUrl: string): Promise<string[]> {
  return onServer(adminUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      'select datname from pg_database where not datistemplate',
    );
    return rows.map((r) => r.datname);
  });
}
