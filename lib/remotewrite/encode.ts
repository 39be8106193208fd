/**
 * Building the body of a remote-write 1.0 request: a prometheus.WriteRequest protobuf, compressed
 * with snappy's block format (not the framed/stream format: receivers reject that).
 *
 * Every series is checked against the remote-write label rules here, so nothing unsendable reaches
 * the network; a bad series is a RemoteWriteLabelError, not a receiver's 400 that would refuse the
 * whole request.
 */
import { snappyCompress, snappyUncompress } from '../segment/snappy.js';
import { prometheus } from '../gen/prometheus.js';
import { formatLabels, type Sample } from '../segment/format.js';
import type { Label } from '../segment/labels.js';
import { RemoteWriteLabelError } from './errors.js';
import { remoteWriteLabelProblem } from './labels.js';

export interface TimeSeriesInput {
  /** Sorted by name (UTF-8 byte order). */
  labels: readonly Label[];
  /** Sorted by timestamp. */
  samples: readonly Sample[];
}

export type MetricType = 'counter' | 'gauge';

export interface MetricMetadataInput {
  metricFamilyName: string;
  type: MetricType;
  help: string;
  unit?: string;
}

const metricTypes: Record<MetricType, prometheus.MetricMetadata.MetricType> = {
  counter: prometheus.MetricMetadata.MetricType.COUNTER,
  gauge: prometheus.MetricMetadata.MetricType.GAUGE,
};

/** The WriteRequest protobuf, uncompressed. Throws RemoteWriteLabelError for a series that cannot be sent. */
export function encodeWriteRequest(series: readonly TimeSeriesInput[], metadata: readonly MetricMetadataInput[] = []): Uint8Array {
  for (const one of series) {
    const problem = remoteWriteLabelProblem(one.labels);
    if (problem !== undefined) throw new RemoteWriteLabelError(`cannot send ${formatLabels(one.labels)}: ${problem}`);
    for (let i = 1; i < one.samples.length; i++) {
      if (one.samples[i]!.timestamp <= one.samples[i - 1]!.timestamp) {
        throw new RemoteWriteLabelError(`cannot send ${formatLabels(one.labels)}: sample timestamps must strictly increase`);
      }
    }
  }
  return prometheus.WriteRequest.encode({
    timeseries: series.map((one) => ({
      labels: one.labels.map(({ name, value }) => ({ name, value })),
      samples: one.samples.map(({ timestamp, value }) => ({ timestamp, value })),
    })),
    metadata: metadata.map((m) => ({ type: metricTypes[m.type], metricFamilyName: m.metricFamilyName, help: m.help, unit: m.unit ?? '' })),
  }).finish();
}

/** Snappy block format, as remote write 1.0 requires. */
export function compressWriteRequest(protobufBytes: Uint8Array): Uint8Array {
  return snappyCompress(protobufBytes);
}

/** The compressed request body, ready to POST. */
export function buildWriteRequestBody(series: readonly TimeSeriesInput[], metadata: readonly MetricMetadataInput[] = []): Uint8Array {
  return compressWriteRequest(encodeWriteRequest(series, metadata));
}

/** Decodes a compressed body (for tests and tools: up to 1 GiB decoded). */
export function decodeWriteRequestBody(body: Uint8Array): prometheus.WriteRequest {
  return prometheus.WriteRequest.decode(snappyUncompress(body, 1 << 30));
}
