// Everything the worker bundles as workflow code. Deterministic code only.
export { commandPartitionWorkflow } from './command-partition';
export { exportMonthWorkflow } from './exports';
export { orderCommandWorkflow } from './order-command-legacy';
export { orderCommandWorkflowV2 } from './order-command-v2';
export { parkedProjectionWorkflow } from './parked-projection';
export { projectorWorkflow } from './projector';
export { rebuildReadModelWorkflow } from './rebuild-read-model';
export {
  monthlyRollupWorkflow,
  reconcileMonthWorkflow,
  rerollupMonthWorkflow,
  retentionWorkflow,
} from './reports';
export { subscriberWorkflow } from './subscriber';
