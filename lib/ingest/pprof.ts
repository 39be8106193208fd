/**
 * Pyroscope's push API (`POST /ingest?name=app{k=v}&from=&until=&format=pprof`) into series,
 * following Pyroscope's conventions so that profiles mean the same here as there:
 *
 * - one series per sample type, named by its profile type id
 *   `<family>:<sample_type>:<sample_unit>:<period_type>:<period_unit>`, where the family is chosen
 *   from the sample types as Pyroscope's ingest adapter does (`wall`, `process_cpu`, `memory`,
 *   `mutex`, `block`, `goroutines`);
 * - `service_name` is the application name, plus the labels in the `name` parameter;
 * - samples are split into series by their string labels (`span_id`/`profile_id` excepted), the
 *   request's labels taking precedence, as Pyroscope's distributor does;
 * - each series gets one sample: the sample type's total, stamped with the profile's time
 *   (`time_nanos`, else `from`) — and keeps its stacks (function names, leaf first, and values)
 *   for function rules.
 *
 * Label names containing "." (OpenTelemetry style, e.g. `process.runtime.name`, which the Node.js
 * SDK sends) get "_" instead, as Pyroscope does; any other invalid name is a 400.
 */
import protobuf from 'protobufjs/minimal.js';
import { perftools } from '../gen/pprof.js';
import type { Series, Stack } from '../segment/format.js';
import { isValidLabelName, sortLabels, type Label } from '../segment/labels.js';
import { CorruptPayloadError, InvalidQueryError, InvalidSeriesDataError } from './errors.js';

type Profile = ReturnType<typeof perftools.profiles.Profile.decode>;

/** A profile as decoded, with its time read exactly. */
export interface DecodedProfile {
  profile: Profile;
  /** `time_nanos` in whole milliseconds; undefined when the profile does not say when it was taken. */
  timeMs: number | undefined;
}

export interface PushTarget {
  /** The application name: `service_name`. */
  serviceName: string;
  /** Labels from the `name` parameter, names already sanitised. */
  labels: Label[];
}

export interface SampleTypeDisplay {
  'display-name'?: string;
}

export interface ProfileContext {
  target: PushTarget;
  /** `from` in milliseconds, when given. */
  fromMs: number | undefined;
  /** Used when neither the profile nor `from` says when it was taken. */
  nowMs: number;
  /** The multipart `sample_type_config` field, when sent. */
  sampleTypeConfig?: Readonly<Record<string, SampleTypeDisplay>>;
}

/** Pyroscope's default display names, which decide the profile type family. */
const defaultDisplayNames: Readonly<Record<string, string>> = {
  samples: 'cpu',
  goroutine: 'goroutines',
  contentions: 'mutex_count',
  delay: 'mutex_duration',
};

/** Sample labels that identify a span, kept per stack in Pyroscope and never made series labels. */
const spanLabels = new Set(['span_id', 'profile_id']);

/** Parses `app{k=v,...}` (URL-decoded). Throws InvalidQueryError (400). */
export function parsePushName(name: string | undefined): PushTarget {
  if (name === undefined || name.trim() === '') throw new InvalidQueryError('the name query parameter (app{label=value,...}) is required');
  const brace = name.indexOf('{');
  const app = (brace < 0 ? name : name.slice(0, brace)).trim();
  if (app === '') throw new InvalidQueryError(`name ${JSON.stringify(name)} has no application name before "{"`);
  const labels = new Map<string, string>();
  if (brace >= 0) {
    if (!name.trimEnd().endsWith('}')) throw new InvalidQueryError(`name ${JSON.stringify(name)}: the label list must end with "}"`);
    const inner = name.trimEnd().slice(brace + 1, -1);
    for (const pair of inner.split(',')) {
      if (pair.trim() === '') continue;
      const eq = pair.indexOf('=');
      if (eq < 0) throw new InvalidQueryError(`name ${JSON.stringify(name)}: ${JSON.stringify(pair)} is not label=value`);
      const key = sanitizeLabelName(pair.slice(0, eq).trim(), 'a label in the name parameter');
      const value = pair.slice(eq + 1).trim();
      if (key === '__name__') throw new InvalidQueryError('the name parameter may not set __name__: it is the profile type');
      if (labels.has(key)) throw new InvalidQueryError(`name ${JSON.stringify(name)}: label ${key} appears twice`);
      if (value !== '') labels.set(key, value); // an empty value means "no label", as in Prometheus
    }
  }
  // A service_name label, when given, names the service instead of the application name.
  const serviceName = labels.get('service_name') ?? app;
  labels.delete('service_name');
  return { serviceName, labels: [...labels].map(([labelName, value]) => ({ name: labelName, value })) };
}

/** Parses `from`/`until` (Unix seconds). Throws InvalidQueryError (400). */
export function parseSeconds(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw new InvalidQueryError(`${name} must be a Unix time in whole seconds, got ${JSON.stringify(value)}`);
  const seconds = Number(value);
  if (!Number.isSafeInteger(seconds * 1000)) throw new InvalidQueryError(`${name} ${value} is out of range`);
  return seconds * 1000;
}

export function decodeProfile(bytes: Uint8Array): DecodedProfile {
  let profile: Profile;
  let nanos: bigint;
  try {
    profile = perftools.profiles.Profile.decode(bytes);
    nanos = timeNanos(bytes);
  } catch (cause) {
    throw new CorruptPayloadError('pprof', `not a pprof Profile protobuf: ${(cause as Error).message}`, { cause });
  }
  checkProfile(profile);
  // Some old clients send zero or microseconds here; Pyroscope then uses `from`, and so do we.
  return { profile, timeMs: nanos >= 365n * 24n * 3600n * 1_000_000_000n ? Number(nanos / 1_000_000n) : undefined };
}

/** Turns a decoded profile into series (merging is left to `batchFromSeries`). */
export function seriesFromProfile({ profile, timeMs }: DecodedProfile, context: ProfileContext): Series[] {
  const strings = profile.stringTable;
  const str = (index: number) => strings[index] ?? '';
  const timestamp = timeMs ?? context.fromMs ?? context.nowMs;
  const family = profileFamily(profile, context.sampleTypeConfig);
  const period = profile.periodType;
  const typeIds = profile.sampleType.map((type) =>
    [family, str(type.type ?? 0), str(type.unit ?? 0), str(period?.type ?? 0), str(period?.unit ?? 0)].map(sanitizeIdPart).join(':'),
  );
  const functionsById = new Map(profile.function.map((fn) => [fn.id ?? 0, fn]));
  const locationsById = new Map(profile.location.map((location) => [location.id ?? 0, location]));
  const frameNames = new Map<number, string[]>();
  const framesOf = (locationId: number): string[] => {
    let names = frameNames.get(locationId);
    if (names !== undefined) return names;
    const location = locationsById.get(locationId)!;
    const lines = location.line ?? [];
    names =
      lines.length === 0
        ? [`0x${(location.address ?? 0).toString(16)}`]
        : lines.map((line) => {
            const fn = functionsById.get(line.functionId ?? 0)!;
            return str(fn.name ?? 0) || str(fn.systemName ?? 0) || '<unknown>';
          });
    frameNames.set(locationId, names);
    return names;
  };

  // Group samples by their series labels: the request's labels first, then the sample's string labels.
  const base = new Map<string, string>([['service_name', context.target.serviceName], ...context.target.labels.map((l) => [l.name, l.value] as const)]);
  const groups = new Map<string, { labels: Map<string, string>; samples: typeof profile.sample }>();
  for (const sample of profile.sample) {
    const labels = new Map(base);
    for (const label of sample.label ?? []) {
      if ((label.str ?? 0) === 0) continue; // numeric labels stay on the sample in Pyroscope
      const key = str(label.key ?? 0);
      if (spanLabels.has(key)) continue;
      const name = sanitizeLabelName(key, 'a pprof sample label');
      if (!labels.has(name)) labels.set(name, str(label.str ?? 0));
    }
    const id = JSON.stringify([...labels].sort());
    let group = groups.get(id);
    if (group === undefined) groups.set(id, (group = { labels, samples: [] }));
    group.samples.push(sample);
  }

  const series: Series[] = [];
  for (const group of groups.values()) {
    const common = [...group.labels].filter(([, value]) => value !== '').map(([name, value]) => ({ name, value }));
    typeIds.forEach((typeId, typeIndex) => {
      const functions: string[] = [];
      const functionIndex = new Map<string, number>();
      const stacks = new Map<string, Stack>();
      let total = 0;
      for (const sample of group.samples) {
        const value = sample.value![typeIndex]!;
        total += value;
        if (value === 0) continue;
        const frames: number[] = [];
        for (const locationId of sample.locationId ?? []) {
          for (const name of framesOf(locationId)) {
            let index = functionIndex.get(name);
            if (index === undefined) {
              index = functions.push(name) - 1;
              functionIndex.set(name, index);
            }
            frames.push(index);
          }
        }
        const key = frames.join(',');
        const existing = stacks.get(key);
        if (existing === undefined) stacks.set(key, { timestamp, frames, value });
        else existing.value += value;
      }
      series.push({
        labels: sortLabels([{ name: '__name__', value: typeId }, ...common]),
        samples: [{ timestamp, value: total }],
        functions,
        stacks: [...stacks.values()],
      });
    });
  }
  return series;
}

/** The profile type family, chosen from the sample types as Pyroscope's ingest adapter does. */
export function profileFamily(profile: Profile, config: Readonly<Record<string, SampleTypeDisplay>> | undefined): string {
  const names = profile.sampleType.map((type) => profile.stringTable[type.type ?? 0] ?? '');
  if (names.includes('wall')) return 'wall';
  let name = '';
  for (const typeName of names) {
    name = config?.[typeName]?.['display-name'] || (config === undefined ? defaultDisplayNames[typeName] : undefined) || typeName;
    if (name.includes('cpu')) return 'process_cpu';
    if (name.includes('alloc_') || name.includes('inuse_') || name === 'space' || name === 'objects') return 'memory';
    if (name.includes('mutex_')) return 'mutex';
    if (name.includes('block_')) return 'block';
    if (name.includes('goroutines')) return 'goroutines';
  }
  return name;
}

/** Profile field 9, `int64 time_nanos`, as a varint. */
const timeNanosTag = (9 << 3) | 0;

/**
 * `time_nanos` from the wire, exactly (the last one wins, as in the decoder). The generated decoder
 * gives int64s as doubles, which are 256 ns apart at today's nanoseconds since the epoch: one in
 * eight exact milliseconds came out as the millisecond before.
 */
function timeNanos(bytes: Uint8Array): bigint {
  const reader = protobuf.Reader.create(bytes);
  let nanos = 0n;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const start = reader.pos;
    reader.skipType(tag & 7);
    if (tag === timeNanosTag) nanos = varint64(bytes, start);
  }
  return nanos;
}

/** The varint at `pos` (one the reader has already skipped, so complete) as a signed 64-bit integer. */
function varint64(bytes: Uint8Array, pos: number): bigint {
  let value = 0n;
  for (let shift = 0n; ; shift += 7n) {
    const byte = bytes[pos++]!;
    value |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return BigInt.asIntN(64, value);
  }
}

function checkProfile(profile: Profile): void {
  const fail = (message: string): never => {
    throw new CorruptPayloadError('pprof', message);
  };
  const strings = profile.stringTable;
  if (strings.length > 0 && strings[0] !== '') fail('string_table[0] must be the empty string');
  const stringIndex = (index: number | null | undefined, what: string) => {
    const i = index ?? 0;
    if (!Number.isInteger(i) || i < 0 || (i > 0 && i >= strings.length)) fail(`${what} refers to string ${i}, beyond the string table`);
  };
  if (profile.sampleType.length === 0 && profile.sample.length > 0) fail('the profile has samples but no sample_type');
  for (const type of profile.sampleType) {
    stringIndex(type.type, 'a sample_type');
    stringIndex(type.unit, 'a sample_type unit');
  }
  stringIndex(profile.periodType?.type, 'period_type');
  stringIndex(profile.periodType?.unit, 'period_type unit');
  const functionIds = new Set<number>();
  for (const fn of profile.function) {
    stringIndex(fn.name, `function ${fn.id}`);
    stringIndex(fn.systemName, `function ${fn.id}`);
    functionIds.add(fn.id ?? 0);
  }
  const locationIds = new Set<number>();
  for (const location of profile.location) {
    for (const line of location.line ?? []) {
      if (!functionIds.has(line.functionId ?? 0)) fail(`location ${location.id} refers to function ${line.functionId}, which is not in the profile`);
    }
    locationIds.add(location.id ?? 0);
  }
  profile.sample.forEach((sample, index) => {
    if ((sample.value?.length ?? 0) !== profile.sampleType.length) {
      fail(`sample ${index} has ${sample.value?.length ?? 0} values but the profile declares ${profile.sampleType.length} sample types`);
    }
    if (sample.value!.some((value) => !Number.isFinite(value))) fail(`sample ${index} has a value out of range`);
    for (const id of sample.locationId ?? []) {
      if (!locationIds.has(id)) fail(`sample ${index} refers to location ${id}, which is not in the profile`);
    }
    for (const label of sample.label ?? []) {
      stringIndex(label.key, `a label of sample ${index}`);
      stringIndex(label.str, `a label of sample ${index}`);
    }
  });
}

/** "." becomes "_" (OpenTelemetry names, as Pyroscope sanitises them); anything else invalid is a 400. */
function sanitizeLabelName(name: string, what: string): string {
  const sanitized = name.replaceAll('.', '_');
  if (!isValidLabelName(sanitized)) {
    throw new InvalidSeriesDataError(`${what} has the name ${JSON.stringify(name)}, which is not a valid label name`);
  }
  return sanitized;
}

/** Profile type id parts may hold only what a metric name may (the id is `__name__`). */
function sanitizeIdPart(part: string): string {
  return part.replace(/[^A-Za-z0-9_]/g, '_');
}
