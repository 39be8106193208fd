/**
 * The real `@pyroscope/nodejs` SDK profiles a CPU loop in this process and pushes to `/ingest` on
 * the ingest server (embedded stack), through a proxy that captures each push. The segments, read
 * back through the AWS SDK, must hold the profile types, labels and totals of the pprof that was
 * sent, decoded independently (node:zlib + pprof-format, the encoder the SDK itself uses).
 */
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, test, type TestContext } from 'node:test';
import { startCaptureProxy, type CaptureProxy } from '../helpers/ingest-capture.js';
import { startIngestStack, type IngestStack } from '../helpers/ingest-stack.js';

const installHint = 'install it with `npm install --save-dev @pyroscope/nodejs` (it is a devDependency: `npm ci` installs it)';
const appName = 'strata-cpu-loop';
const tenant = 'pyroscope-e2e';

let stack: IngestStack;
let proxy: CaptureProxy;

before(async () => {
  stack = await startIngestStack();
  proxy = await startCaptureProxy(stack.server.url);
});

after(async () => {
  await proxy?.stop();
  await stack?.stop();
});

type PyroscopeModule = typeof import('@pyroscope/nodejs');
type PprofFormat = typeof import('pprof-format');

/**
 * The SDK, and pprof-format (installed with it: the SDK's own pprof encoder, used here as the
 * independent decoder), or a loud skip — a failure under CI=true.
 */
async function requirePyroscope(t: TestContext): Promise<{ Pyroscope: PyroscopeModule['default']; Profile: PprofFormat['Profile'] } | undefined> {
  try {
    const [sdk, pprof] = await Promise.all([import('@pyroscope/nodejs'), import('pprof-format')]);
    return { Pyroscope: sdk.default, Profile: pprof.Profile };
  } catch (error) {
    const message = `@pyroscope/nodejs cannot be loaded (${(error as Error).message}): ${installHint}`;
    if (process.env['CI'] === 'true') throw new Error(message, { cause: error });
    console.warn(`SKIPPED: ${message}`);
    t.skip(message);
    return undefined;
  }
}

/** Burns CPU for `ms` milliseconds in a function the stacks can be searched for (the SDK names frames `file:function:line`). */
function strataBusyLoop(ms: number): number {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) for (let i = 0; i < 10_000; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}

test('pyroscope nodejs SDK: the segments hold the pushed profile types, labels and totals', { timeout: 60_000 }, async (t) => {
  const loaded = await requirePyroscope(t);
  if (loaded === undefined) return;
  const { Pyroscope, Profile } = loaded;
  Pyroscope.init({
    appName,
    serverAddress: proxy.url,
    tenantID: tenant,
    tags: { region: 'eu-west-1' },
    flushIntervalMs: 60_000,
    wall: { collectCpuTime: true, samplingIntervalMicros: 1000 },
  });
  Pyroscope.startWallProfiling();
  strataBusyLoop(1500);
  await Pyroscope.stopWallProfiling(); // exports the profile and waits for the upload

  const pushes = proxy.captured.filter((r) => r.url.startsWith('/ingest'));
  assert.equal(pushes.length, 1, `one push expected, got ${pushes.map((p) => `${p.url} → ${p.status}`).join(', ')}`);
  const push = pushes[0]!;
  assert.equal(push.status, 200);
  assert.equal(push.headers['x-scope-orgid'], tenant);
  const query = new URL(push.url, 'http://x').searchParams;
  assert.equal(query.get('format'), 'pprof');
  assert.equal(query.get('spyName'), 'nodespy');
  assert.match(query.get('name') ?? '', /^strata-cpu-loop\{.*region=eu-west-1/);

  // The independent decode: totals per profile type id.
  const profile = Profile.decode(gunzipSync(push.body));
  const strings = profile.stringTable.strings;
  const str = (index: number | bigint) => strings[Number(index)] ?? '';
  const period = [str(profile.periodType?.type ?? 0), str(profile.periodType?.unit ?? 0)];
  const typeNames = profile.sampleType.map((type) => str(type.type));
  const family = typeNames.includes('wall') ? 'wall' : 'process_cpu';
  const expected = new Map<string, number>();
  profile.sampleType.forEach((type, i) => {
    const total = profile.sample.reduce((sum, sample) => sum + Number(sample.value[i] ?? 0), 0);
    expected.set([family, str(type.type), str(type.unit), ...period].join(':'), total);
  });
  assert.ok(profile.sample.length > 0, 'the profile has samples');
  t.diagnostic(`profile types: ${[...expected].map(([id, total]) => `${id}=${total}`).join(', ')}`);

  const segments = await stack.readSegments();
  assert.ok(segments.length > 0);
  const totals = new Map<string, number>();
  let sawLoop = false;
  for (const segment of segments) {
    assert.equal(segment.header.tenant, tenant);
    for (const series of segment.series) {
      const labels = new Map(series.labels.map((l) => [l.name, l.value]));
      assert.equal(labels.get('service_name'), appName);
      assert.equal(labels.get('region'), 'eu-west-1');
      assert.equal(labels.get('process_runtime_name'), 'nodejs', 'OpenTelemetry-style tag names get "_" for "."');
      const name = labels.get('__name__')!;
      assert.equal(series.samples.length, 1);
      totals.set(name, (totals.get(name) ?? 0) + series.samples[0]!.value);
      const stackTotal = series.stacks.reduce((sum, stack) => sum + stack.value, 0);
      assert.equal(stackTotal, series.samples[0]!.value, `${name}: the stacks add up to the total`);
      if (series.stacks.some((stack) => stack.frames.some((frame) => /:strataBusyLoop:/.test(series.functions[frame] ?? '')))) sawLoop = true;
    }
  }
  assert.deepEqual(totals, expected);
  assert.ok(sawLoop, 'the busy loop appears in the stacks');
});
