export * from './commands';
export * from './decide';
export * from './errors';
export * from './events';
export * from './evolve';
export * from './order';
export * from './rules';
export * from './upcast';
