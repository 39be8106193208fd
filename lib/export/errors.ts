/**
 * Errors of the export outbox. A corrupt record or a chain that cannot be appended to fails the
 * job (it retries, then lands in the DLQ): rule counts are never recorded from a guess.
 */

export class ExportError extends Error {
  override name = 'ExportError';
}

/** A stored record (or delivery state) is not what this code wrote, or an input is inconsistent. */
export class ExportRecordError extends ExportError {
  override name = 'ExportRecordError';
}

/** Appending kept losing to concurrent writers; retryable. */
export class ExportConflictError extends ExportError {
  override name = 'ExportConflictError';
  constructor(
    readonly tenant: string,
    readonly shard: number,
    readonly jobId: string,
    attempts: number,
  ) {
    super(`could not append the export record of job ${jobId} (tenant ${tenant}, shard ${shard}) after ${attempts} attempts`);
  }
}
