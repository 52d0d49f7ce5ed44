import pg from 'pg';

const CHANNEL = 'events_appended';
const RECONNECT_MS = 1_000;

/**
 * Wakes readers of the global order when events are committed (PostgreSQL LISTEN on the
 * channel the events trigger notifies). One connection per process, shared by every
 * waiter. A notification can be missed (the connection dropped, or it came before the
 * waiter looked): waiters therefore also wake after a bounded time and look again.
 */
export class AppendListener {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  /** Grows with every notification: a waiter that saw n waits for more than n. */
  private seen = 0;
  private waiters = new Set<() => void>();

  constructor(private readonly connectionString: string) {}

  /** The count to pass to `waitAfter`: take it before looking for events, so none is missed. */
  get sequence(): number {
    return this.seen;
  }

  /** Resolves when a commit was notified after `sequence`, or after `timeoutMs`. */
  async waitAfter(sequence: number, timeoutMs: number): Promise<boolean> {
    void this.ensureConnected();
    if (this.seen > sequence) return true;
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }

  /** Resolves once listening: a commit after this is notified (tests wait for it). */
  async listening(): Promise<void> {
    await this.ensureConnected();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiters) wake();
    await this.client?.end().catch(() => undefined);
  }

  private notified(): void {
    this.seen++;
    for (const wake of [...this.waiters]) wake();
  }

  private ensureConnected(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: 'order-reporting-listener',
    });
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      // Whatever was committed while we were away: let waiters look.
      this.notified();
      if (!this.closed) setTimeout(() => void this.ensureConnected(), RECONNECT_MS);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => this.notified());
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
      this.client = client;
      // Commits between losing the connection and listening again went unnoticed.
      this.notified();
    } catch {
      await client.end().catch(() => undefined);
      if (!this.closed) setTimeout(() => void this.ensureConnected(), RECONNECT_MS);
    }
  }
}
