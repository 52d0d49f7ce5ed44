import type { OrderCommandType } from './commands';
import type { OrderStatus } from './order';

export interface InputIssue {
  path: string;
  message: string;
}

/** Why a command was refused. Plain data so it crosses workflow and API boundaries. */
export type DomainError =
  | { code: 'InvalidCommand'; message: string; issues: InputIssue[] }
  | { code: 'OrderNotFound'; message: string; orderId: string }
  | { code: 'OrderAlreadyExists'; message: string; orderId: string }
  | {
      code: 'InvalidTransition';
      message: string;
      orderId: string;
      status: OrderStatus;
      command: OrderCommandType;
    };

export type DomainErrorCode = DomainError['code'];
