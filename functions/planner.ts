/**
 * Lambda: the events queue's SQS event source (batched, ReportBatchItemFailures) → the planner.
 * Adapts the event, builds the dependencies once per container from the environment, and maps
 * the result to batchItemFailures. The local runner calls this very handler.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Env } from '../lib/aws/clients.js';
import type { Logger } from '../lib/log/logger.js';
import { planSegmentEvents, type PlannerDeps } from '../lib/plan/planner.js';
import { pipelineDeps } from './deps.js';

export interface PlannerHandlerOptions {
  /** Default: process.env, read at the first invocation. */
  env?: Env;
  logger?: Logger;
  /** Replaces everything built from the environment (tests and the chaos harness inject their own). */
  deps?: PlannerDeps;
}

export type PlannerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

export function createPlannerHandler(options: PlannerHandlerOptions = {}): PlannerHandler {
  let deps: PlannerDeps | undefined;
  return async (event, context) => {
    deps ??= options.deps ?? plannerDeps(options);
    const logger = deps.logger.child(context?.awsRequestId === undefined ? {} : { requestId: context.awsRequestId });
    const { failedMessageIds } = await planSegmentEvents(
      { ...deps, logger },
      event.Records.map((record) => ({ messageId: record.messageId, body: record.body })),
    );
    return { batchItemFailures: failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

function plannerDeps(options: PlannerHandlerOptions): PlannerDeps {
  return pipelineDeps(options.env ?? process.env, 'planner', options.logger);
}

export const handler: PlannerHandler = createPlannerHandler();
