/**
 * Where the planner gets rules from at run time, and the snapshot provider it records hashes with.
 *
 * The rules file is a local path or `s3://<bucket>/<key>` (STRATA_RULES), read through injected
 * readers and re-read after a TTL, so a new file takes effect without a deploy. A file that stops
 * validating does not stop the pipeline: the last good rules stay in force and the error is logged
 * on every reload; only a first load that fails throws (nothing is planned with rules unknown).
 *
 * `rulesSnapshotProvider` fits lib/plan/rules.ts' RulesSnapshotProvider: `snapshotHash(tenant)`
 * stores the tenant's snapshot (create-if-absent, once per process and hash) before returning its
 * hash, so every hash a job records names an object the compactor can load.
 */
import type { ObjectStore } from '../aws/contract.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { RulesSnapshotProvider } from '../plan/rules.js';
import { RulesError, RulesFileError } from './errors.js';
import { parseRulesFile, rulesForTenant, type ParseOptions, type RulesFile } from './parse.js';
import { hashRules, storeRulesSnapshot } from './snapshot.js';
import type { Rule, RulesSnapshot } from './types.js';

/** Reads the text of a rules location. */
export type RulesTextReader = (location: string) => Promise<string>;

export interface RulesReaderDeps {
  /** Reads a local file (node:fs/promises readFile with 'utf8'). */
  readFile?: (path: string) => Promise<string>;
  /** The pipeline's bucket; `s3://` locations must be in it. */
  store?: ObjectStore;
}

/** A reader for local paths and `s3://<bucket>/<key>` in the pipeline's bucket. */
export function rulesTextReader(deps: RulesReaderDeps): RulesTextReader {
  return async (location) => {
    if (location.startsWith('s3://')) {
      const rest = location.slice('s3://'.length);
      const slash = rest.indexOf('/');
      const bucket = slash < 0 ? rest : rest.slice(0, slash);
      const key = slash < 0 ? '' : rest.slice(slash + 1);
      if (deps.store === undefined) throw new RulesFileError(location, 'no object store is configured to read s3:// rules');
      if (bucket !== deps.store.bucket || key === '') {
        throw new RulesFileError(location, `rules must be an object in the pipeline's bucket: s3://${deps.store.bucket}/<key>`);
      }
      let stored;
      try {
        stored = await deps.store.get(key);
      } catch (cause) {
        throw new RulesFileError(location, `cannot read: ${(cause as Error).message}`, { cause });
      }
      if (stored === undefined) throw new RulesFileError(location, 'does not exist');
      return new TextDecoder().decode(stored.body);
    }
    if (deps.readFile === undefined) throw new RulesFileError(location, 'no file reader is configured');
    try {
      return await deps.readFile(location);
    } catch (cause) {
      throw new RulesFileError(location, `cannot read: ${(cause as Error).message}`, { cause });
    }
  };
}

export interface RulesSourceOptions extends ParseOptions {
  location: string;
  read: RulesTextReader;
  /** Re-read the file after this long. Default 30 s. */
  ttlMs?: number;
  clock?: () => number;
  logger?: Logger;
}

/** The current rules file, cached for `ttlMs`, keeping the last good one when a reload fails. */
export class RulesSource {
  private current: { file: RulesFile; loadedAt: number } | undefined;
  private loading: Promise<RulesFile> | undefined;
  private readonly ttlMs: number;
  private readonly clock: () => number;
  private readonly logger: Logger;

  constructor(private readonly options: RulesSourceOptions) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  async rules(): Promise<RulesFile> {
    const current = this.current;
    if (current !== undefined && this.clock() - current.loadedAt < this.ttlMs) return current.file;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<RulesFile> {
    const { location } = this.options;
    try {
      const text = await this.options.read(location);
      const file = parseRulesFile(text, location, this.options);
      this.current = { file, loadedAt: this.clock() };
      return file;
    } catch (error) {
      if (this.current === undefined || !(error instanceof RulesError)) throw error;
      this.logger.error('rules reload failed, keeping the last good rules', { rulesLocation: location, error });
      this.current = { file: this.current.file, loadedAt: this.clock() };
      return this.current.file;
    }
  }
}

export interface SnapshotProviderDeps {
  rules: Pick<RulesSource, 'rules'>;
  store: ObjectStore;
}

export interface RulesSnapshotSource extends RulesSnapshotProvider {
  /** The tenant's current rules as a snapshot, stored. */
  snapshot(tenant: string): Promise<RulesSnapshot>;
}

/** The planner's RulesSnapshotProvider, backed by a rules source and the snapshot store. */
export function rulesSnapshotProvider(deps: SnapshotProviderDeps): RulesSnapshotSource {
  const stored = new Set<string>();
  // The rules list of a tenant is the same array until the file is reloaded: hash it once.
  const hashes = new WeakMap<readonly Rule[], string>();
  const snapshot = async (tenant: string): Promise<RulesSnapshot> => {
    const rules = rulesForTenant(await deps.rules.rules(), tenant);
    let hash = hashes.get(rules);
    if (hash === undefined) {
      hash = hashRules(rules);
      hashes.set(rules, hash);
    }
    const storedKey = `${tenant}/${hash}`;
    if (!stored.has(storedKey)) {
      await storeRulesSnapshot(deps.store, tenant, rules);
      stored.add(storedKey);
    }
    return { tenant, hash, rules };
  };
  return { snapshot, snapshotHash: async (tenant) => (await snapshot(tenant)).hash };
}
