/**
 * Series identity: label ordering, validation and the shard a series belongs to.
 *
 * Labels compare by the UTF-8 bytes of their names and values, as Prometheus (Go) does, so the
 * order is the same in every language that reads or writes Strata files.
 */

export interface Label {
  name: string;
  value: string;
}

/** Compares two strings in UTF-8 byte order (which is code point order, not UTF-16 order). */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return codePointRank(ca) - codePointRank(cb);
  }
  return a.length - b.length;
}

// UTF-16 puts surrogates (astral code points) below U+E000..U+FFFF; code point order puts them above.
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/** Orders label sets: label by label, name then value; a prefix sorts first. */
export function compareLabelSets(a: readonly Label[], b: readonly Label[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const la = a[i]!;
    const lb = b[i]!;
    // Equal strings are the common case in a merge, and === settles them without a character loop.
    if (la.name !== lb.name) return compareUtf8(la.name, lb.name);
    if (la.value !== lb.value) return compareUtf8(la.value, lb.value);
  }
  return a.length - b.length;
}

export function sortLabels(labels: readonly Label[]): Label[] {
  return [...labels].sort((a, b) => compareUtf8(a.name, b.name));
}

const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export const metricNameLabel = '__name__';

export function isValidLabelName(name: string): boolean {
  return labelNamePattern.test(name);
}

export function isValidMetricName(name: string): boolean {
  return metricNamePattern.test(name);
}

/**
 * Why a label set is not a valid series identity, or undefined when it is: names sorted, unique and
 * valid, values non-empty (an empty value means "no label" in Prometheus), `__name__` present and a
 * valid metric name.
 */
export function labelSetProblem(labels: readonly Label[]): string | undefined {
  let hasName = false;
  for (let i = 0; i < labels.length; i++) {
    const { name, value } = labels[i]!;
    if (name === '') return 'a label has an empty name';
    if (!isValidLabelName(name)) return `label name ${JSON.stringify(name)} is not a valid Prometheus label name`;
    if (value === '') return `label ${name} has an empty value`;
    if (i > 0) {
      const order = compareUtf8(labels[i - 1]!.name, name);
      if (order === 0) return `label ${name} appears twice`;
      if (order > 0) return `labels are not sorted by name (${labels[i - 1]!.name} before ${name})`;
    }
    if (name === metricNameLabel) {
      hasName = true;
      if (!isValidMetricName(value)) return `metric name ${JSON.stringify(value)} is not valid`;
    }
  }
  return hasName ? undefined : 'the series has no __name__ label';
}

/** A string that is equal for equal label lists and different otherwise: a map key for a label set. */
export function labelSetKey(labels: readonly Label[]): string {
  return labels.map(({ name, value }) => `${name}\u0000${value}`).join('\u0000');
}

/** Shards per tenant unless STRATA_SHARD_COUNT says otherwise. */
export const defaultShardCount = 4;

/**
 * The shard a series belongs to: 32-bit FNV-1a over, for each label in order, the UTF-8 name, a
 * 0xff byte, the UTF-8 value and a 0xff byte (docs/format.md), modulo the tenant's shard count.
 * Runs for every series that ingest writes and the compactor reads, so it hashes in place.
 */
export function shardOf(labels: readonly Label[], shardCount: number): number {
  let hash = 0x811c9dc5;
  for (const { name, value } of labels) {
    hash = fnv1aUpdate(hash, name);
    hash = Math.imul(hash ^ 0xff, 0x01000193);
    hash = fnv1aUpdate(hash, value);
    hash = Math.imul(hash ^ 0xff, 0x01000193);
  }
  return (hash >>> 0) % shardCount;
}

const utf8 = new TextEncoder();
let scratch = new Uint8Array(256);

/** Feeds a string's UTF-8 bytes into an FNV-1a state. */
function fnv1aUpdate(hash: number, text: string): number {
  // ASCII, the usual label, is its own UTF-8: hash the code units until the first that is not.
  let i = 0;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) break;
    hash = Math.imul(hash ^ code, 0x01000193);
  }
  if (i === text.length) return hash;
  const rest = text.slice(i);
  // UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (scratch.length < rest.length * 3) scratch = new Uint8Array(rest.length * 3);
  const { written } = utf8.encodeInto(rest, scratch);
  for (let j = 0; j < written; j++) hash = Math.imul(hash ^ scratch[j]!, 0x01000193);
  return hash;
}
