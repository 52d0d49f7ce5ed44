import { describe, expect, it } from 'vitest';
import { takeUpdate, type Waiting } from '../api/command-queue';

// Which of a partition's waiting commands go out together in its next update (pure): given
// the queue, when the next update is taken, then what it carries and what waits on.

type W = Waiting & { id: string };
const w = (id: string, bytes = 100, gone = false): W => ({ id, bytes, gone });
const ids = (ws: W[]) => ws.map((x) => x.id);
const CAPS = { maxCommands: 3, maxBytes: 1_000 };

describe('takeUpdate', () => {
  it('given fewer commands than the caps, then all go in one update, in arrival order', () => {
    const { update, rest } = takeUpdate([w('a'), w('b')], CAPS);
    expect(ids(update)).toEqual(['a', 'b']);
    expect(rest).toEqual([]);
  });

  it('given more commands than the count cap, then the oldest go and the rest wait in order', () => {
    const { update, rest } = takeUpdate([w('a'), w('b'), w('c'), w('d'), w('e')], CAPS);
    expect(ids(update)).toEqual(['a', 'b', 'c']);
    expect(ids(rest)).toEqual(['d', 'e']);
  });

  it('given commands past the byte cap, then the update stops before the one that would pass it', () => {
    // 1 byte of brackets + 400 + 400 = 801; a third of 400 would make 1,201 > 1,000.
    const { update, rest } = takeUpdate([w('a', 400), w('b', 400), w('c', 400)], CAPS);
    expect(ids(update)).toEqual(['a', 'b']);
    expect(ids(rest)).toEqual(['c']);
  });

  it('given an update filled up to the byte cap exactly, then it goes as it is', () => {
    const { update } = takeUpdate([w('a', 499), w('b', 500)], CAPS);
    expect(ids(update)).toEqual(['a', 'b']);
  });

  it('given a big command that does not fit, then a smaller later one does not jump ahead of it', () => {
    const { update, rest } = takeUpdate([w('a', 600), w('big', 600), w('small', 10)], CAPS);
    expect(ids(update)).toEqual(['a']);
    expect(ids(rest)).toEqual(['big', 'small']);
  });

  it('given a first command over the byte cap alone, then it still goes, alone', () => {
    const { update, rest } = takeUpdate([w('huge', 5_000), w('b')], CAPS);
    expect(ids(update)).toEqual(['huge']);
    expect(ids(rest)).toEqual(['b']);
  });

  it('given commands whose callers have gone, then they are dropped wherever they stand', () => {
    const queue = [w('a', 100, true), w('b'), w('c', 100, true), w('d'), w('e'), w('f', 100, true)];
    const { update, rest, dropped } = takeUpdate(queue, CAPS);
    expect(ids(update)).toEqual(['b', 'd', 'e']);
    expect(rest).toEqual([]);
    expect(ids(dropped)).toEqual(['a', 'c', 'f']);
  });

  it('given only gone callers, then nothing is sent', () => {
    const { update, rest, dropped } = takeUpdate([w('a', 100, true)], CAPS);
    expect(update).toEqual([]);
    expect(rest).toEqual([]);
    expect(ids(dropped)).toEqual(['a']);
  });

  it('given an empty queue, then nothing is sent', () => {
    expect(takeUpdate([], CAPS)).toEqual({ update: [], rest: [], dropped: [] });
  });
});
