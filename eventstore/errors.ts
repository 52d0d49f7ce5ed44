export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
  ) {
    super(`stream ${streamId} is no longer at version ${expectedVersion}`);
  }
}

export class CommandIdConflictError extends Error {
  override name = 'CommandIdConflictError';
  constructor(readonly commandId: string) {
    super(`command id ${commandId} was already used for a different command`);
  }
}
