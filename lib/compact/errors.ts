/** Typed errors of compaction. Each fails the attempt: SQS redelivers the job, then moves it to the DLQ. */

export class CompactError extends Error {
  override name = 'CompactError';
}

/** A source of an open job is neither in the bucket nor in quarantine: something outside Strata deleted it. */
export class SourceMissingError extends CompactError {
  override name = 'SourceMissingError';
  constructor(
    readonly tenant: string,
    readonly shard: number,
    readonly jobId: string,
    readonly key: string,
  ) {
    super(`job ${jobId} (tenant ${tenant}, shard ${shard}): source ${key} is missing and not in quarantine; was it deleted by hand? The job will reach the DLQ after its retries`);
  }
}

/** A source's size changed between two reads of one attempt: sources are immutable, so something outside Strata rewrote it. */
export class SourceChangedError extends CompactError {
  override name = 'SourceChangedError';
  constructor(
    readonly tenant: string,
    readonly shard: number,
    readonly jobId: string,
    readonly key: string,
  ) {
    super(`job ${jobId} (tenant ${tenant}, shard ${shard}): source ${key} changed while it was read; sources are never rewritten by Strata. The attempt fails and is retried`);
  }
}
