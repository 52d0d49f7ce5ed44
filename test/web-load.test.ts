import { describe, expect, it } from 'vitest';
import { idle, load, type ScreenContext } from '../web/src/context';

// A screen's call into its Loadable (web/src/context.ts): back, forward and a pasted link start
// calls while earlier ones are still out; what lands must be the answer to the latest.
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const screen = (): ScreenContext & { draws: number } => {
  const ctx = {
    draws: 0,
    client: {} as ScreenContext['client'],
    role: 'reader' as const,
    update() {
      ctx.draws += 1;
    },
    signedOut() {},
    navigate() {},
  };
  return ctx;
};

describe('calls into one Loadable', () => {
  it('given an older call answering after a newer one, then the newer answer stays and loading ends with it', async () => {
    const ctx = screen();
    const target = idle<string>();
    const older = deferred<string>();
    const newer = deferred<string>();
    const first = load(ctx, target, () => older.promise);
    const second = load(ctx, target, () => newer.promise);
    newer.resolve('June');
    await second;
    expect(target).toMatchObject({ loading: false, data: 'June', error: null });
    older.resolve('May');
    await first;
    expect(target).toMatchObject({ loading: false, data: 'June', error: null });
  });

  it('given an older call failing after a newer one answered, then the newer answer stays, no error', async () => {
    const ctx = screen();
    const target = idle<string>();
    const older = deferred<string>();
    const first = load(ctx, target, () => older.promise);
    await load(ctx, target, async () => 'June');
    older.reject(new Error('network down'));
    await first;
    expect(target).toMatchObject({ loading: false, data: 'June', error: null });
  });

  it('given a newer call still out, when the older answers, then still loading and nothing shown from the older', async () => {
    const ctx = screen();
    const target = idle<string>();
    const older = deferred<string>();
    const newer = deferred<string>();
    const first = load(ctx, target, () => older.promise);
    const second = load(ctx, target, () => newer.promise);
    older.resolve('May');
    await first;
    expect(target).toMatchObject({ loading: true, data: null });
    newer.resolve('June');
    await second;
    expect(target).toMatchObject({ loading: false, data: 'June' });
  });
});
