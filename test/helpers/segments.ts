/** Factories for series and file identities used across tests. */
import type { FileIdentity, Series } from '../../lib/segment/format.js';
import { sortLabels } from '../../lib/segment/labels.js';

export const sampleUlid = '01JD5Z3Q4R8X9V2W6T7Y0K1M3N';

export function series(name: string, labels: Record<string, string>, samples: Array<[number, number]>): Series {
  return {
    labels: sortLabels([{ name: '__name__', value: name }, ...Object.entries(labels).map(([n, value]) => ({ name: n, value }))]),
    samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
    functions: [],
    stacks: [],
  };
}

export function segmentIdentity(overrides: Partial<FileIdentity> = {}): FileIdentity {
  return {
    tenant: 'team-a',
    shard: 0,
    level: 0,
    id: sampleUlid,
    createdBy: 'strata-test',
    createdAtMs: 1_700_000_000_000,
    shardCount: 1,
    ...overrides,
  };
}
