/**
 * What every handler builds from its environment, once per container — a ShardStateDeps plus: the bucket and the jobs
 * queue, the planner settings, the tenant rules (STRATA_RULES) and the remote-write delivery
 * (STRATA_REMOTE_WRITE_URL). Only functions/ read the environment; lib/ gets these as arguments.
 */
import { readFile } from 'node:fs/promises';
import { createS3Client, createSqsClient, type Env } from '../lib/aws/clients.js';
import { DirectS3ObjectStore } from '../lib/aws/s3-direct.js';
import { secretsManagerReader } from '../lib/aws/secrets.js';
import { SqsMessageQueue } from '../lib/aws/sqs.js';
import type { DeliveryDeps } from '../lib/export/delivery.js';
import { jsonLogger, type Logger } from '../lib/log/logger.js';
import { plannerConfigFromEnv, type PlannerConfig } from '../lib/plan/config.js';
import { RemoteWriteClient } from '../lib/remotewrite/client.js';
import { remoteWriteConfigFromEnv } from '../lib/remotewrite/config.js';
import { RulesSource, rulesSnapshotProvider, rulesTextReader } from '../lib/rules/source.js';
import type { CasOptions } from '../lib/metastore/cas.js';
import type { ShardStateDeps } from '../lib/plan/deps.js';
import type { PlanLimits } from '../lib/plan/limits.js';
import type { RulesSnapshotProvider } from '../lib/plan/rules.js';

export interface PipelineDeps extends ShardStateDeps {
  config: PlannerConfig;
  cas: CasOptions;
  jobs: SqsMessageQueue;
  logger: Logger;
  limits: PlanLimits;
  /** Absent when STRATA_RULES is unset: jobs then carry the empty rule set. */
  rules?: RulesSnapshotProvider;
  /** Absent when STRATA_REMOTE_WRITE_URL is unset: export records are written, not sent. */
  delivery?: Pick<DeliveryDeps, 'client' | 'tenantRouting' | 'selfMetrics'>;
}

export function pipelineDeps(env: Env, functionName: string, logger?: Logger): PipelineDeps {
  const config = plannerConfigFromEnv(env);
  const log = logger ?? jsonLogger({ level: config.logLevel, fields: { function: functionName } });
  const store = new DirectS3ObjectStore(createS3Client(env), config.bucket);
  const rulesLocation = env['STRATA_RULES']?.trim();
  const remoteWrite = remoteWriteConfigFromEnv(env, { readSecret: secretsManagerReader(env) });
  const reservedLabels = remoteWrite?.tenantRouting.mode === 'label' ? [remoteWrite.tenantRouting.label] : [];
  return {
    config,
    limits: config.limits,
    cas: { maxAttempts: config.maxStateAttempts },
    store,
    jobs: new SqsMessageQueue(createSqsClient(env), config.jobsQueueUrl),
    logger: log,
    ...(rulesLocation
      ? {
          rules: rulesSnapshotProvider({
            rules: new RulesSource({ location: rulesLocation, read: rulesTextReader({ store, readFile: (path) => readFile(path, 'utf8') }), logger: log, reservedLabels }),
            store,
          }),
        }
      : {}),
    ...(remoteWrite === undefined
      ? {}
      : {
          delivery: {
            client: new RemoteWriteClient({ ...remoteWrite.client, logger: log }),
            tenantRouting: remoteWrite.tenantRouting,
            selfMetrics: remoteWrite.selfMetrics,
          },
        }),
  };
}
