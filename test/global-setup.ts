import { createPool, migrate } from '../eventstore';

// The test database gets the same migrations as `npm start` applies.
export default async function setup(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (vitest.config.ts sets a default)');
  const pool = createPool(url, 1);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}
