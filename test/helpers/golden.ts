/** The input of the golden segment fixture: fixed so that its bytes never change by accident. */
import type { Series } from '../../lib/segment/format.js';
import { series, segmentIdentity } from './segments.js';

export const goldenIdentity = segmentIdentity({ tenant: 'golden', createdBy: 'strata-golden/1', createdAtMs: 1_700_000_000_000 });

export const goldenSeries: Series[] = [
  series('http_requests_total', { code: '200', job: 'api' }, [[1_700_000_000_000, 10], [1_700_000_015_000, 12.5]]),
  series('up', { job: 'api' }, [[1_700_000_000_000, 1], [1_700_000_015_000, Number.NaN]]),
  {
    ...series('process_cpu:cpu:nanoseconds:cpu:nanoseconds', { service_name: 'checkout' }, [[1_700_000_010_000, 3e7]]),
    functions: ['main', 'serve', 'checksum'],
    stacks: [
      { timestamp: 1_700_000_010_000, frames: [2, 1, 0], value: 2e7 },
      { timestamp: 1_700_000_010_000, frames: [1, 0], value: 1e7 },
    ],
  },
];
