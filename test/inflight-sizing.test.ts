import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/env';

// The in-flight cap per partition (updates, each an array of commands), sized from the number of API processes against the
// server's limit on in-flight updates per workflow (pure: no server).

const refusal = (env: NodeJS.ProcessEnv) => {
  try {
    parseConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('parseConfig accepted it');
};
const cap = (env: NodeJS.ProcessEnv) => parseConfig(env).COMMAND_INFLIGHT_PER_PARTITION;

describe('COMMAND_INFLIGHT_PER_PARTITION from API_PROCESSES', () => {
  it('given one API process and the server default of 10, then each partition keeps 1 update (an array) in flight', () => {
    expect(cap({})).toBe(1);
  });
  it('given more processes, up to one below the limit, then each still keeps 1', () => {
    expect(cap({ API_PROCESSES: '2' })).toBe(1);
    expect(cap({ API_PROCESSES: '9' })).toBe(1);
    expect(cap({ API_PROCESSES: '4', TEMPORAL_MAX_INFLIGHT_UPDATES: '100' })).toBe(1);
  });
  it('given a cap set by hand within the share, then it is kept', () => {
    expect(cap({ API_PROCESSES: '2', COMMAND_INFLIGHT_PER_PARTITION: '3' })).toBe(3);
  });
  it('given a cap past the share, then start-up is refused with the numbers and the way out', () => {
    expect(refusal({ API_PROCESSES: '2', COMMAND_INFLIGHT_PER_PARTITION: '8' })).toMatch(
      /COMMAND_INFLIGHT_PER_PARTITION: 8 × API_PROCESSES 2 passes the server's 10 in-flight updates per workflow \(TEMPORAL_MAX_INFLIGHT_UPDATES\) less one; at most 4, or leave it unset/,
    );
  });
  it('given more processes than the limit allows one each, then start-up is refused', () => {
    expect(refusal({ API_PROCESSES: '10' })).toMatch(
      /API_PROCESSES: 10 processes cannot each keep a command in flight per partition/,
    );
  });
});
