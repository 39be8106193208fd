/**
 * The fault campaign at CI size (docs/testing.md): STRATA_CHAOS_SEEDS seeds (default ciSize.seeds,
 * campaigns.ts) from a random first seed, printed — STRATA_CHAOS_SEED pins it — so every run
 * explores new seeds. A failure names each failed seed, its violations, the faults applied and the command that replays
 * it (`npm run chaos -- --campaign faults --seed S --trace`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startChaosBackend, type ChaosBackend } from './backend.js';
import { ciSize, randomSeed, runFaultCampaign } from './campaigns.js';
import { runFaultSeed } from './fault-campaign.js';

const seeds = Number(process.env['STRATA_CHAOS_SEEDS'] ?? ciSize.seeds);
const first = Number(process.env['STRATA_CHAOS_SEED'] ?? randomSeed());

describe('chaos: the fault campaign', () => {
  let backend: ChaosBackend;

  before(async () => {
    backend = await startChaosBackend('in-process');
  });
  after(() => backend.stop());

  it(`every invariant holds over ${seeds} random seeds (from ${first}; STRATA_CHAOS_SEED=${first} replays this run)`, async () => {
    const figures = await runFaultCampaign({ backend, seeds: Array.from({ length: seeds }, (_, i) => first + i) });
    console.log(figures.lines(0, 0).filter((line) => !line.startsWith('==')).join('\n'));
    const failures = figures.failed.map((failure) => [`seed ${failure.seed}:`, ...failure.violations, `faults: ${failure.faults.length}`, `replay: ${failure.replay}`].join('\n  '));
    assert.deepEqual(failures, [], `invariants broken:\n${failures.join('\n')}`);
    // Not a vacuous pass: the campaign did inject faults and did check samples and counters.
    assert.ok(figures.faultsInjected > seeds, `only ${figures.faultsInjected} faults in ${seeds} seeds`);
    assert.ok(figures.samplesChecked > 0 && figures.countersChecked > 0, 'nothing was checked');
  });

  it('a seed replays to the same calls in the same order, in process and over HTTP through the store the functions use', async () => {
    const once = await runFaultSeed({ backend }, first);
    const again = await runFaultSeed({ backend }, first);
    assert.equal(again.digest, once.digest, 'the same seed made other calls in process');
    assert.deepEqual(again.trace, once.trace);
    const http = await startChaosBackend('http');
    try {
      const overHttp = await runFaultSeed({ backend: http }, first);
      assert.equal(overHttp.digest, once.digest, 'the in-process store and the HTTP endpoint behaved differently');
      assert.deepEqual(overHttp.violations, once.violations);
    } finally {
      await http.stop();
    }
  });
});
