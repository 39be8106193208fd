/**
 * The bad-input campaign at CI size (docs/testing.md): STRATA_CHAOS_REQUESTS bad requests and
 * STRATA_CHAOS_FILES bad segment files (defaults: ciSize, campaigns.ts) from a random input seed,
 * printed — STRATA_CHAOS_INPUT_SEED pins it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startChaosBackend, type ChaosBackend } from './backend.js';
import { ciSize, randomSeed, runInputCampaign } from './campaigns.js';

const requests = Number(process.env['STRATA_CHAOS_REQUESTS'] ?? ciSize.requests);
const files = Number(process.env['STRATA_CHAOS_FILES'] ?? ciSize.files);
const seed = Number(process.env['STRATA_CHAOS_INPUT_SEED'] ?? randomSeed());

describe('chaos: the bad-input campaign', () => {
  let backend: ChaosBackend;

  before(async () => {
    backend = await startChaosBackend('in-process');
  });
  after(() => backend.stop());

  it(`${requests} bad requests and ${files} bad files break nothing (input seed ${seed}; STRATA_CHAOS_INPUT_SEED=${seed} replays this run)`, async () => {
    const figures = await runInputCampaign({ backend, seed, requests, files });
    console.log(figures.lines(0, 0).filter((line) => !line.startsWith('==')).join('\n'));
    assert.deepEqual(figures.requests?.violations ?? [], [], 'ingest answered bad requests wrongly');
    const failures = figures.failed.map((failure) => [`world ${failure.seed}:`, ...failure.violations, `replay: ${failure.replay}`].join('\n  '));
    assert.deepEqual(failures, [], `invariants broken:\n${failures.join('\n')}`);
    // Not a vacuous pass: bad input was refused and quarantined, and good data was checked.
    const refused = [...(figures.requests?.outcomes ?? [])].filter(([status]) => status.startsWith('4')).reduce((sum, [, count]) => sum + count, 0);
    assert.ok(refused > requests / 2, `only ${refused} of ${requests} bad requests were refused`);
    assert.ok(figures.quarantineExpected > files / 2, `only ${figures.quarantineExpected} of ${files} bad files were bad`);
    assert.ok(figures.samplesChecked > 0 && figures.countersChecked > 0, 'no good data was checked');
  });
});
