// The computation lives with the workers (they export it as metrics); the API reads the same.
export { projectionStatus, type ReadModelStatus } from '../temporal/projection-status';
