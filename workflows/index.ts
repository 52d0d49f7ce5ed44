// Everything the worker bundles as workflow code. Deterministic code only.
export { orderCommandWorkflow } from './order-command';
export { rebuildReadModelWorkflow } from './rebuild-read-model';
export {
  monthlyRollupWorkflow,
  reconcileMonthWorkflow,
  rerollupMonthWorkflow,
  retentionWorkflow,
} from './reports';
