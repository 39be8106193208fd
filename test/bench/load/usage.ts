/**
 * From what the pipeline measured (cli/pipeline.ts: invocations, billed duration, every S3 and SQS
 * request by the function that made it) to the cost model's input (lib/cost/model.ts): each count
 * tagged with the driver it grows with.
 *
 * - ingest: an invocation per push; its duration grows with the samples it parses.
 * - planner, and every request about `segments/` or the events queue: per segment.
 * - compactor (its invocations, state, block and export requests) and the FIFO jobs queue: per job;
 *   its duration grows with the samples it merges.
 * - tick: per minute.
 * - S3's event notifications are sent straight into the queue, not over HTTP: one standard SQS
 *   request per segment written.
 * - Empty receives are the event source's idle polling: a fixed cost of Lambda's pollers (about five
 *   per queue, long-polling 20 s; the local runner polls every second), left out of the per-sample
 *   cost and reported apart.
 *
 * Lambda bills wall time, and wall time here is not Lambda's: up to 20 compactor invocations share
 * one thread on a shared 2-core machine, while S3 and SQS answer in about a millisecond instead of
 * tens. So the durations come three ways: the local wall time as measured (too high under load),
 * the CPU time of the function's thread (too low: no I/O wait at all), and the CPU time plus a
 * latency allowance per S3 or SQS request the function made, as if each waited for the one before
 * (the estimate the tables use; pessimistic for requests made in parallel).
 */
import { functionMemoryMb } from '../../../lib/aws/resources.js';
import type { Driver, FunctionUsage, MeasuredUsage, RequestUsage } from '../../../lib/cost/model.js';
import type { RequestCount } from '../../../lib/local/request-meter.js';
import { callerIds, eventSourceCallerIds, type FunctionName, type PipelineUsage } from '../../../cli/pipeline.js';

export interface RunFacts {
  samples: number;
  seriesPerRequest: number;
  shardCount: number;
  segmentsPerJob: number;
}

export type DurationBasis = 'local wall time' | 'CPU time' | 'CPU time + AWS latency';

export interface AttributedUsage {
  /** The same counts with the functions' durations on each basis. */
  usage: Record<DurationBasis, MeasuredUsage>;
  /** Requests left out of the model: idle polls, and callers that are not the pipeline (the bench's own status reads). */
  excluded: Array<{ label: string; requests: number }>;
}

const pipelineCallers = new Set<string>([...Object.values(callerIds), ...Object.values(eventSourceCallerIds)]);

/** Milliseconds added per S3 or SQS request a function makes, for 'CPU time + AWS latency'. */
export const awsLatencyMsPerRequest = 20;

export function attributeUsage(measured: PipelineUsage, facts: RunFacts): AttributedUsage {
  const excluded: AttributedUsage['excluded'] = [];
  const requests: RequestUsage[] = [];
  let segments = 0;
  for (const count of measured.requests) {
    const label = `${count.caller.replace(/^strata-/, '')} ${count.operation} ${count.resource}`.trim();
    if (!pipelineCallers.has(count.caller)) {
      excluded.push({ label: `${label} (not the pipeline)`, requests: count.requests });
      continue;
    }
    if (count.priceClass === 'unbilled') continue;
    let units = count.units;
    const eventSource = eventSourceOf(count.caller);
    if (eventSource !== undefined && count.operation === 'ReceiveMessage') {
      const empty = measured.emptyReceives[eventSource];
      excluded.push({ label: `${label}: empty polls`, requests: empty });
      units -= empty;
    }
    if (count.caller === callerIds.ingest && count.operation === 'PutObject' && count.resource === 'segments/') segments += count.requests - count.errors;
    requests.push({ label, priceClass: count.priceClass, units, driver: driverOf(count) });
  }
  requests.push({ label: 'S3 event notifications to the events queue', priceClass: 'sqs-standard', units: segments, driver: 'segment' });

  const requestsMade = (name: FunctionName) => {
    const byDriver: Partial<Record<Driver, number>> = {};
    for (const count of measured.requests) {
      if (count.caller === callerIds[name]) byDriver[driverOf(count)] = (byDriver[driverOf(count)] ?? 0) + count.requests;
    }
    return byDriver;
  };
  const durations: Record<DurationBasis, (name: FunctionName) => Pick<FunctionUsage, 'measuredMs' | 'latencyMsPerRequest'>> = {
    'local wall time': (name) => ({ measuredMs: measured.functions[name].billedMs, latencyMsPerRequest: 0 }),
    'CPU time': (name) => ({ measuredMs: measured.functions[name].cpuMs, latencyMsPerRequest: 0 }),
    'CPU time + AWS latency': (name) => ({ measuredMs: measured.functions[name].cpuMs, latencyMsPerRequest: awsLatencyMsPerRequest }),
  };
  const drivers: Array<[FunctionName, Driver, Driver]> = [
    ['ingest', 'request', 'sample'],
    ['planner', 'segment', 'segment'],
    ['compactor', 'job', 'sample'],
    ['tick', 'minute', 'minute'],
  ];
  const usageOn = (basis: DurationBasis): MeasuredUsage => ({
    ...facts,
    functions: drivers.map(([name, invocationDriver, durationDriver]) => ({
      name,
      memoryMb: functionMemoryMb[name],
      invocations: measured.functions[name].invocations,
      invocationDriver,
      ...durations[basis](name),
      durationDriver,
      requestsMade: requestsMade(name),
    })),
    requests,
  });
  return {
    usage: { 'local wall time': usageOn('local wall time'), 'CPU time': usageOn('CPU time'), 'CPU time + AWS latency': usageOn('CPU time + AWS latency') },
    excluded,
  };
}

/** The queue-driven function whose event source the caller is, if it is one. */
function eventSourceOf(caller: string): keyof typeof eventSourceCallerIds | undefined {
  return (Object.keys(eventSourceCallerIds) as Array<keyof typeof eventSourceCallerIds>).find((name) => eventSourceCallerIds[name] === caller);
}

function driverOf(count: RequestCount): Driver {
  if (count.caller === callerIds.tick) return 'minute';
  if (count.service === 'sqs') return count.resource.endsWith('.fifo') ? 'job' : 'segment';
  if (count.resource === 'segments/' || count.caller === callerIds.ingest || count.caller === callerIds.planner) return 'segment';
  return 'job';
}
