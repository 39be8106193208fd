/**
 * The load benchmark's workload, a pure function of its settings, so that the generator can send it
 * and the verifier can recompute what must be stored without either keeping a copy of the samples.
 *
 * `batches` groups of `seriesPerRequest` series, like Prometheus servers each scraping one target
 * set every `periodMs`. Batch b belongs to tenant b mod `tenants`; round r of batch b is one
 * remote-write request, request number k = r × batches + b, due `periodMs × k / batches` after the
 * start, with every series' one sample at the timestamp `start + r × periodMs + offset(b)` (the
 * scrape offsets are spread over the period, so timestamps follow the send time).
 *
 * Series labels (sorted, as Prometheus sends them): `__name__` node_load_metric_<m>, env, instance
 * host-<b>:9100, job, region r<tenant>, slot <s>, for series index i = s × 100 + m of the batch.
 */
import { compressWriteRequest } from '../../../lib/remotewrite/encode.js';
import type { Label } from '../../../lib/segment/labels.js';

export interface WorkloadSettings {
  /** Samples per minute the schedule sends (rounded up to whole batches). */
  samplesPerMinute: number;
  seriesPerRequest: number;
  tenants: number;
  /** The scrape interval: each series gets one sample per period. */
  periodMs: number;
  /** Wall-clock start, ms; also the first timestamp. */
  startMs: number;
}

export interface RequestSpec {
  index: number;
  batch: number;
  round: number;
  tenant: string;
  timestamp: number;
  /** When it is due, ms after the start. */
  dueMs: number;
}

const metricsPerSlot = 100;

export class Workload {
  readonly batches: number;
  readonly requestsPerSecond: number;

  constructor(readonly settings: WorkloadSettings) {
    const requestsPerMinute = settings.samplesPerMinute / settings.seriesPerRequest;
    this.batches = Math.max(1, Math.ceil((requestsPerMinute * settings.periodMs) / 60_000));
    this.requestsPerSecond = (this.batches * 1000) / settings.periodMs;
  }

  /** Samples per minute the schedule actually sends (≥ the setting: whole batches). */
  get scheduledSamplesPerMinute(): number {
    return this.requestsPerSecond * 60 * this.settings.seriesPerRequest;
  }

  request(index: number): RequestSpec {
    const batch = index % this.batches;
    const round = Math.floor(index / this.batches);
    return {
      index,
      batch,
      round,
      tenant: tenantName(batch % this.settings.tenants),
      timestamp: this.timestamp(batch, round),
      dueMs: (this.settings.periodMs * index) / this.batches,
    };
  }

  timestamp(batch: number, round: number): number {
    return this.settings.startMs + round * this.settings.periodMs + Math.floor((batch * this.settings.periodMs) / this.batches);
  }

  /** The value of series `series` of `batch` in `round`: exact in binary, different per series and round. */
  value(series: number, round: number): number {
    return round + (series % metricsPerSlot) / 4;
  }

  labels(batch: number, series: number): Label[] {
    return [
      { name: '__name__', value: `node_load_metric_${series % metricsPerSlot}` },
      { name: 'env', value: 'bench' },
      { name: 'instance', value: `host-${batch}:9100` },
      { name: 'job', value: 'load' },
      { name: 'region', value: `r${batch % this.settings.tenants}` },
      { name: 'slot', value: String(Math.floor(series / metricsPerSlot)) },
    ];
  }

  /**
   * Where a stored sample belongs: its request (batch, round) and series index, or a reason it
   * cannot be one the workload sent.
   */
  locate(tenant: string, labels: readonly Label[], timestamp: number): { batch: number; round: number; series: number } | string {
    const value = (name: string) => labels.find((label) => label.name === name)?.value;
    const batch = Number(/^host-(\d+):9100$/.exec(value('instance') ?? '')?.[1]);
    const metric = Number(/^node_load_metric_(\d+)$/.exec(value('__name__') ?? '')?.[1]);
    const slot = Number(value('slot'));
    if (!Number.isInteger(batch) || !Number.isInteger(metric) || !Number.isInteger(slot) || batch >= this.batches) return 'labels the workload never sends';
    if (tenant !== tenantName(batch % this.settings.tenants)) return `batch ${batch} stored under tenant ${tenant}`;
    const series = slot * metricsPerSlot + metric;
    if (series >= this.settings.seriesPerRequest) return `series index ${series} out of range`;
    const round = (timestamp - this.timestamp(batch, 0)) / this.settings.periodMs;
    if (!Number.isInteger(round) || round < 0) return `timestamp ${timestamp} is not a scrape of batch ${batch}`;
    return { batch, round, series };
  }
}

export function tenantName(tenant: number): string {
  return `load-${tenant}`;
}

/**
 * Builds remote-write bodies by writing the protobuf directly (the generator must stay cheap next
 * to the pipeline it loads): a WriteRequest of TimeSeries { labels, one Sample }, snappy-compressed.
 */
export class RequestEncoder {
  private readonly labels = new Map<string, Uint8Array>();
  private buffer = Buffer.alloc(1 << 20);

  constructor(private readonly workload: Workload) {}

  body(spec: RequestSpec): Uint8Array {
    const { seriesPerRequest, tenants } = this.workload.settings;
    const env = this.label('env', 'bench');
    const job = this.label('job', 'load');
    const instance = labelField('instance', `host-${spec.batch}:9100`);
    const region = this.label('region', `r${spec.batch % tenants}`);
    const timestamp = varint(spec.timestamp);
    let offset = 0;
    for (let series = 0; series < seriesPerRequest; series++) {
      const name = this.label('__name__', `node_load_metric_${series % metricsPerSlot}`);
      const slot = this.label('slot', String(Math.floor(series / metricsPerSlot)));
      const sampleLength = 1 + 8 + 1 + timestamp.length;
      const length = name.length + env.length + instance.length + job.length + region.length + slot.length + 2 + sampleLength;
      if (offset + length + 16 > this.buffer.length) this.buffer = Buffer.concat([this.buffer, Buffer.alloc(this.buffer.length)]);
      const buffer = this.buffer;
      buffer[offset++] = 0x0a;
      offset = writeVarint(buffer, offset, length);
      for (const part of [name, env, instance, job, region, slot]) {
        buffer.set(part, offset);
        offset += part.length;
      }
      buffer[offset++] = 0x12;
      buffer[offset++] = sampleLength;
      buffer[offset++] = 0x09;
      offset = buffer.writeDoubleLE(this.workload.value(series, spec.round), offset);
      buffer[offset++] = 0x10;
      for (const byte of timestamp) buffer[offset++] = byte;
    }
    return compressWriteRequest(this.buffer.subarray(0, offset));
  }

  private label(name: string, value: string): Uint8Array {
    const key = `${name}=${value}`;
    let bytes = this.labels.get(key);
    if (bytes === undefined) this.labels.set(key, (bytes = labelField(name, value)));
    return bytes;
  }
}

/** TimeSeries field 1: a Label { name = 1, value = 2 }. */
function labelField(name: string, value: string): Uint8Array {
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  const label = Buffer.concat([Uint8Array.of(0x0a, ...varint(n.length)), n, Uint8Array.of(0x12, ...varint(v.length)), v]);
  return Buffer.concat([Uint8Array.of(0x0a, ...varint(label.length)), label]);
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

function writeVarint(buffer: Buffer, offset: number, value: number): number {
  let at = offset;
  for (const byte of varint(value)) buffer[at++] = byte;
  return at;
}
