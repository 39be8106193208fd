/**
 * The live set, computed from listings as every reader must (DESIGN.md, "Readers"): all blocks and
 * segments, minus every object that a listed block names as one of its sources. A source and the
 * block that replaced it are never both counted, whatever moment the listing is taken at.
 */
import type { ObjectInfo, ObjectStore } from '../aws/contract.js';
import { fileHeaderLength, readFileHeader, type FileHeader } from '../segment/format.js';
import { parseDataKey, prefixes, type DataKey } from '../segment/keys.js';

export interface LiveObject {
  key: DataKey;
  info: ObjectInfo;
}

export interface LiveSet {
  live: LiveObject[];
  /** Objects still listed but replaced by a block (awaiting their cleanup delay). */
  replaced: string[];
  /** Keys under segments/ or blocks/ that are not data keys (quarantine fodder). */
  unparsable: string[];
}

/** Enough for any header Strata writes (a block of a few hundred sources); longer ones take a second read. */
const headerReadBytes = 64 * 1024;

/**
 * A file's header from a ranged read of the object's first bytes, not the whole object; undefined
 * when the object does not exist. Throws a SegmentFormatError for a bad header.
 */
export async function readStoredHeader(store: ObjectStore, key: DataKey): Promise<FileHeader | undefined> {
  let prefix = (await store.getRange(key.key, 0, headerReadBytes))?.body;
  const needed = prefix === undefined ? undefined : fileHeaderLength(prefix);
  if (prefix !== undefined && needed !== undefined && needed > prefix.length && prefix.length === headerReadBytes) {
    prefix = (await store.getRange(key.key, 0, needed))?.body;
  }
  return prefix === undefined ? undefined : readFileHeader(prefix, { expectKey: key });
}

/** Lists `tenant`'s (or every tenant's) segments and blocks and removes what blocks replaced. */
export async function listLiveSet(store: ObjectStore, tenant?: string): Promise<LiveSet> {
  const listed: LiveObject[] = [];
  const unparsable: string[] = [];
  for (const prefix of [prefixes.blocks, prefixes.segments]) {
    for await (const info of store.list(tenant === undefined ? prefix : `${prefix}${tenant}/`)) {
      try {
        listed.push({ key: parseDataKey(info.key), info });
      } catch {
        unparsable.push(info.key);
      }
    }
  }
  const replacedBy = new Set<string>();
  const gone = new Set<string>();
  for (const object of listed) {
    if (object.key.kind !== 'block') continue;
    const header = await readStoredHeader(store, object.key);
    // Deleted since the listing: a block is deleted only a cleanup delay after the block that
    // replaced it was committed, so that one holds its data (and its sources are long gone).
    if (header === undefined) {
      gone.add(object.info.key);
      continue;
    }
    for (const source of header.sources) replacedBy.add(source);
  }
  return {
    live: listed.filter((object) => !replacedBy.has(object.info.key) && !gone.has(object.info.key)),
    replaced: listed.filter((object) => replacedBy.has(object.info.key)).map((object) => object.info.key),
    unparsable,
  };
}
