/**
 * `strata dev`'s wiring (cli/pipeline.ts) failing to start: only a taken or forbidden ingest port
 * is reported as IngestListenError (which `strata dev` turns into "pass --ingest-port").
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { FunctionWorkerError, IngestListenError, startLocalPipeline } from '../../cli/pipeline.js';

let taken: Server;
let takenPort: number;

before(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  takenPort = (taken.address() as { port: number }).port;
});
after(() => new Promise<void>((resolve) => taken.close(() => resolve())));

const quiet = { level: 'error' as const, write: () => undefined };

test('local pipeline: an ingest port in use is an IngestListenError', async () => {
  await assert.rejects(startLocalPipeline({ port: 0, ingestPort: takenPort, env: {}, log: quiet }), (error: unknown) => {
    assert.ok(error instanceof IngestListenError, String(error));
    assert.match(error.message, /EADDRINUSE/);
    return true;
  });
});

test('local pipeline: an ingest start-up failure other than listening is not an IngestListenError', async () => {
  await assert.rejects(startLocalPipeline({ port: 0, ingestPort: 0, env: { STRATA_SHARD_COUNT: 'many' }, log: quiet }), (error: unknown) => {
    assert.ok(error instanceof FunctionWorkerError && !(error instanceof IngestListenError), String(error));
    assert.match(error.message, /STRATA_SHARD_COUNT/);
    return true;
  });
});
