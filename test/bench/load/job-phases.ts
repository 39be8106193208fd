/**
 * How long each step after a job's block is written takes, read from the pipeline's JSON log as one
 * would read it from CloudWatch Logs: block written → export record written → job committed →
 * exports delivered, per jobId (the last line of each, so that a retried job counts its last attempt).
 */

export interface JobPhases {
  /** Block written → export record written, ms, one per job that has both lines. */
  exportRecordMs: number[];
  /** Export record written → job committed. */
  commitMs: number[];
  /** Job committed → exports delivered. */
  deliveryMs: number[];
}

const steps = ['block written', 'export record written', 'job committed', 'exports delivered'] as const;

export function jobPhases(log: string): JobPhases {
  const times = new Map<string, Partial<Record<(typeof steps)[number], number>>>();
  for (const line of log.split('\n')) {
    if (!steps.some((step) => line.includes(`"message":"${step}"`))) continue;
    const entry = JSON.parse(line) as { time: string; message: (typeof steps)[number]; jobId?: string };
    if (entry.jobId === undefined) continue;
    const job = times.get(entry.jobId) ?? {};
    job[entry.message] = Date.parse(entry.time);
    times.set(entry.jobId, job);
  }
  const between = (from: (typeof steps)[number], to: (typeof steps)[number]) =>
    [...times.values()].flatMap((job) => (job[from] === undefined || job[to] === undefined ? [] : [job[to] - job[from]]));
  return {
    exportRecordMs: between('block written', 'export record written'),
    commitMs: between('export record written', 'job committed'),
    deliveryMs: between('job committed', 'exports delivered'),
  };
}
