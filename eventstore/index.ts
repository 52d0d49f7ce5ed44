export * from './errors';
export * from './event-store';
export * from './migrate';
export * from './types';
export * from './pool';
