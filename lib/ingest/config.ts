/**
 * Ingest configuration: defaults, and the environment variables the Lambda function and the local
 * server read them from. The environment is passed in (never read from `process.env` here).
 *
 *   STRATA_SHARD_COUNT               shards per tenant (default 4)
 *   STRATA_INGEST_MAX_BODY_BYTES     largest body as sent (default 10 MiB)
 *   STRATA_INGEST_MAX_DECODED_BYTES  largest decompressed body (default 64 MiB)
 *   STRATA_INGEST_MAX_FUTURE_MS      how far ahead of now a sample may be (default 3600000)
 *   STRATA_API_KEYS                  JSON {"tenant": "key" | ["key", ...]}; unset = no keys asked
 *   STRATA_API_KEYS_SECRET_ARN       reserved for a Secrets Manager key source (not built in yet)
 */
import type { Env } from '../aws/clients.js';
import { defaultChunkTargetBytes } from '../segment/format.js';
import { maxShards } from '../segment/keys.js';
import pkg from '../../package.json' with { type: 'json' };
import { staticApiKeys } from './auth.js';
import type { IngestConfig, IngestLimits } from './contract.js';
import { IngestConfigError } from './errors.js';
import { envSettings } from '../config/env.js';

export const ingestVersion: string = pkg.version;
export const defaultCreatedBy = `strata-ingest/${ingestVersion}`;
export const defaultShardCount = 4;

export const defaultLimits: IngestLimits = {
  maxBodyBytes: 10 << 20,
  maxDecodedBytes: 64 << 20,
  maxFutureMs: 3_600_000,
};


/** A full config from defaults and the given overrides (limits merge field by field). */
export function ingestConfig(overrides: Partial<Omit<IngestConfig, 'limits'>> & { limits?: Partial<IngestLimits> } = {}): IngestConfig {
  const config: IngestConfig = {
    shardCount: overrides.shardCount ?? defaultShardCount,
    limits: { ...defaultLimits, ...overrides.limits },
    createdBy: overrides.createdBy ?? defaultCreatedBy,
    apiKeys: overrides.apiKeys,
    chunkTargetBytes: overrides.chunkTargetBytes ?? defaultChunkTargetBytes,
  };
  if (!Number.isInteger(config.shardCount) || config.shardCount < 1 || config.shardCount > maxShards) {
    throw new IngestConfigError(`shard count must be an integer from 1 to ${maxShards}, got ${config.shardCount}`);
  }
  return config;
}

/** Reads the variables listed above; throws IngestConfigError naming the variable that is wrong. */
export function ingestConfigFromEnv(env: Env): IngestConfig {
  const settings = envSettings(env, (message) => new IngestConfigError(message));
  if (settings.text('STRATA_API_KEYS_SECRET_ARN') !== undefined) {
    // Refuse to start rather than run without the authentication the deployment asked for.
    throw new IngestConfigError(
      'STRATA_API_KEYS_SECRET_ARN is set but this build reads API keys only from STRATA_API_KEYS (see docs/ingest.md)',
    );
  }
  const keysJson = settings.text('STRATA_API_KEYS');
  return ingestConfig({
    shardCount: settings.positiveInteger('STRATA_SHARD_COUNT') ?? defaultShardCount,
    limits: {
      maxBodyBytes: settings.positiveInteger('STRATA_INGEST_MAX_BODY_BYTES') ?? defaultLimits.maxBodyBytes,
      maxDecodedBytes: settings.positiveInteger('STRATA_INGEST_MAX_DECODED_BYTES') ?? defaultLimits.maxDecodedBytes,
      maxFutureMs: settings.positiveInteger('STRATA_INGEST_MAX_FUTURE_MS') ?? defaultLimits.maxFutureMs,
    },
    apiKeys: keysJson === undefined ? undefined : staticApiKeys(keysJson, 'STRATA_API_KEYS'),
  });
}
