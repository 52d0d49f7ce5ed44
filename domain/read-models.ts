// The read models the projectors keep, and how operators see one in trouble.

export type ReadModel = 'elasticsearch' | 'redis';
export const READ_MODELS: ReadModel[] = ['elasticsearch', 'redis'];

/** Values of the ProjectionStatus search attribute while a projection is in trouble. */
export const projectionStatusValue = (model: ReadModel, state: 'retrying' | 'failed'): string =>
  `${model}:${state}`;
