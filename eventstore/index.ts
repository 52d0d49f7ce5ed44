export * from './append-listener';
export * from './checkpoints';
export * from './errors';
export * from './event-store';
export * from './migrate';
export * from './pool';
export * from './types';
