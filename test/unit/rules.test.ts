import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RulesEvaluationError, RulesFileError, RulesSnapshotError, RulesValidationError } from '../../lib/rules/errors.js';
import { evaluateRules, RuleEvaluator, type RuleEvaluation } from '../../lib/rules/evaluate.js';
import { parseRulesFile, rulesForTenant } from '../../lib/rules/parse.js';
import { compileAnchoredRegex, parseSelector } from '../../lib/rules/selector.js';
import { emptyRulesHash, hashRules, loadRulesSnapshot, rulesSnapshotKey, storeRulesSnapshot } from '../../lib/rules/snapshot.js';
import { RulesSource, rulesSnapshotProvider, rulesTextReader } from '../../lib/rules/source.js';
import { encodeFile, FileReader, type Series } from '../../lib/segment/format.js';
import { segmentKey } from '../../lib/segment/keys.js';
import { compareLabelSets, labelSetProblem } from '../../lib/segment/labels.js';
import { readFile } from 'node:fs/promises';
import { MemoryObjectStore } from '../helpers/metastore-memory.js';
import { cpuType, profile, snapshotOf } from '../helpers/rules-fixtures.js';
import { buildBlockInMemory, mergeSeriesLists, segmentIdentity, series } from '../helpers/segments.js';

function problemsOf(text: string): string[] {
  try {
    parseRulesFile(text, 'rules.yaml');
  } catch (error) {
    if (error instanceof RulesValidationError) return error.message.split('\n').slice(1).map((line) => line.trim());
    throw error;
  }
  return [];
}

const oneRule = (body: string) => `tenants:\n  team-a:\n    - id: r1\n      record: out:sum\n${body
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}\n`;

describe('rules: loading and validation', () => {
  it('loads the example file', async () => {
    const file = parseRulesFile(await readFile('examples/rules.yaml', 'utf8'), 'examples/rules.yaml');

    assert.deepEqual(rulesForTenant(file, 'team-a').map((r) => r.id), ['bytes_received', 'cpu_by_service', 'gc_cpu', 'json_cpu']);
    assert.deepEqual(rulesForTenant(file, 'someone-else').map((r) => r.id), ['http_requests_5xx']);
    assert.deepEqual(rulesForTenant(file, 'sandbox'), []);
    assert.deepEqual(rulesForTenant(file, 'team-a').find((r) => r.id === 'gc_cpu')?.function, { type: 'exact', name: 'runtime.gcBgMarkWorker' });
  });

  it('names the rule, the line and the problem, listing every problem', () => {
    const problems = problemsOf(
      [
        'tenants:',
        '  team-a:',
        '    - id: bad_regex',
        '      record: out:sum',
        '      match: \'http_requests_total{code=~"5(("}\'',
        '    - id: bad_regex',
        '      record: out:sum',
        '      match: up',
        '    - id: names',
        '      record: 9lives',
        '      match: up',
        '      group_by: [__name__, strata_rule, strata_shard, "bad-label", zone, zone]',
        '      labels: { zone: a, strata_x: b }',
      ].join('\n'),
    );

    assert.deepEqual(problems, [
      'rules.yaml:3: tenants.team-a, rule "bad_regex": match: code=~"5((" is not a valid regular expression: Unterminated group',
      'rules.yaml:6: tenants.team-a, rule "bad_regex": duplicate id: rule #1 has the same id',
      'rules.yaml:9: tenants.team-a, rule "names": record must be a valid metric name (the output series\' name), got "9lives"',
      'rules.yaml:9: tenants.team-a, rule "names": group_by: __name__ is reserved (the output name is set by record)',
      'rules.yaml:9: tenants.team-a, rule "names": group_by: strata_rule is reserved (it carries the rule id)',
      'rules.yaml:9: tenants.team-a, rule "names": group_by: strata_shard is reserved (it carries the shard)',
      'rules.yaml:9: tenants.team-a, rule "names": group_by: "bad-label" is not a valid label name',
      'rules.yaml:9: tenants.team-a, rule "names": group_by: zone is listed twice',
      'rules.yaml:9: tenants.team-a, rule "names": labels: zone is also in group_by',
      'rules.yaml:9: tenants.team-a, rule "names": labels: strata_x is reserved (labels starting with "strata_" are Strata\'s)',
    ]);
  });

  it('requires a __name__ matcher that selects something, and anchors regexes', () => {
    assert.match(problemsOf(oneRule(`match: '{job="api"}'`)).join(), /must select a metric name or profile type/);
    assert.match(problemsOf(oneRule(`match: '{__name__=~".*"}'`)).join(), /must select a metric name/);
    assert.match(problemsOf(oneRule(`match: '{__name__!="x"}'`)).join(), /must select a metric name/);
    assert.match(problemsOf(oneRule(`match: '{__name__="not a name"}'`)).join(), /can never match/);
    assert.deepEqual(problemsOf(oneRule(`match: '{__name__=~"http_.+"}'`)), []);
    assert.deepEqual(problemsOf(oneRule(`match: '${cpuType}{service_name!~"test-.*"}'`)), []);
    assert.equal(compileAnchoredRegex('5..').test('500'), true);
    assert.equal(compileAnchoredRegex('5..').test('5000'), false);
    assert.equal(compileAnchoredRegex('a|b').test('ab'), false);
    assert.equal(compileAnchoredRegex('(?i)API').test('api'), true);
    assert.throws(() => compileAnchoredRegex('a(?=b)'), /lookaround/);
    assert.throws(() => compileAnchoredRegex('(a)\\1'), /backreferences/);
  });

  it('parses PromQL selectors with every operator and string form', () => {
    assert.deepEqual(parseSelector('up{a="x", b!=\'y\', c=~`\\d+`, d!~"e\\\\.f",}'), [
      { label: '__name__', op: '=', value: 'up' },
      { label: 'a', op: '=', value: 'x' },
      { label: 'b', op: '!=', value: 'y' },
      { label: 'c', op: '=~', value: '\\d+' },
      { label: 'd', op: '!~', value: 'e\\.f' },
    ]);
    assert.throws(() => parseSelector('up{a="x"'), /missing "}"|expected/);
    assert.throws(() => parseSelector('up{a=="x"}'), /column 6: expected a quoted string/);
  });

  it('refuses min/max, count with a function filter, unknown keys and bad caps, saying why', () => {
    assert.match(problemsOf(oneRule(`match: up\naggregation: max`)).join(), /max is not supported: outputs are running totals \(counters\)/);
    assert.match(problemsOf(oneRule(`match: ${cpuType}\naggregation: count\nfunction: main`)).join(), /function filter needs aggregation sum/);
    assert.match(problemsOf(oneRule(`match: ${cpuType}\nfunction: a\nfunction_regex: b`)).join(), /cannot both be set/);
    assert.match(problemsOf(oneRule(`match: ${cpuType}\nfunction_regex: "a("`)).join(), /function_regex "a\(" is not a valid regular expression/);
    assert.match(problemsOf(oneRule(`match: up\ngroupby: [a]`)).join(), /unknown key "groupby"/);
    assert.match(problemsOf(oneRule(`match: up\nmax_series: 0`)).join(), /max_series must be an integer/);
    assert.match(problemsOf(oneRule(`match: up\nlabels: { env: 1 }`)).join(), /must be a non-empty string \(quote numbers\)/);
    assert.match(problemsOf('tenants:\n  "bad/tenant": []\n').join(), /tenant id may contain only/);
    assert.throws(() => parseRulesFile('tenants: [', 'broken.yaml'), RulesFileError);
    assert.match(
      (() => {
        try {
          parseRulesFile(oneRule('match: up\ngroup_by: [tenant]'), 'r.yaml', { reservedLabels: ['tenant'] });
        } catch (e) {
          return String(e);
        }
        return '';
      })(),
      /group_by: tenant is reserved \(it carries the tenant\)/,
    );
  });
});

describe('rules: snapshots', () => {
  it('hashes the canonical form: key order, rule order and defaults do not matter', () => {
    const a = parseRulesFile(oneRule(`match: 'up{b="2", a="1"}'\ngroup_by: [y, x]\nmax_series: 10000`), 'a');
    const b = parseRulesFile(`tenants:\n  team-a:\n    - { max_series: 10000, group_by: [x, y], match: 'up{a="1",b="2"}', record: "out:sum", id: r1, aggregation: sum }\n`, 'b');

    assert.equal(hashRules(rulesForTenant(a, 'team-a')), hashRules(rulesForTenant(b, 'team-a')));
    assert.match(hashRules(rulesForTenant(a, 'team-a')), /^sha256:[0-9a-f]{64}$/);
  });


  it('stores a snapshot content-addressed, once, and loads exactly it', async () => {
    const store = new MemoryObjectStore();
    const snapshot = snapshotOf(`- { id: r, record: "out:sum", match: up }`);

    const hash = await storeRulesSnapshot(store, 't', snapshot.rules);
    const written = await store.head(rulesSnapshotKey('t', hash));
    const again = await storeRulesSnapshot(store, 't', snapshot.rules);
    const loaded = await loadRulesSnapshot(store, 't', hash);

    assert.equal(hash, snapshot.hash);
    assert.equal(again, hash);
    assert.equal((await store.head(rulesSnapshotKey('t', hash)))!.etag, written!.etag, 'the second store did not write it again');
    assert.deepEqual([...store.objects.keys()], [rulesSnapshotKey('t', hash)]);
    assert.deepEqual(loaded, snapshot);
    assert.deepEqual(await loadRulesSnapshot(store, 't', emptyRulesHash), { tenant: 't', hash: emptyRulesHash, rules: [] });
  });

  it('refuses a missing snapshot or one whose content does not match its hash', async () => {
    const store = new MemoryObjectStore();
    const snapshot = snapshotOf(`- { id: r2, record: "out:sum", match: up }`, 'u');
    await assert.rejects(loadRulesSnapshot(store, 'u', snapshot.hash), (e: unknown) => e instanceof RulesSnapshotError && /does not exist/.test(e.message));

    const key = rulesSnapshotKey('u', snapshot.hash);
    const tampered = JSON.stringify({ v: 1, tenant: 'u', hash: snapshot.hash, rules: [{ ...snapshot.rules[0], record: 'other' }] });
    await store.put(key, new TextEncoder().encode(tampered));
    await assert.rejects(loadRulesSnapshot(store, 'u', snapshot.hash), /does not match its hash/);
  });

  it("fits the planner's RulesSnapshotProvider: the hash it returns names a stored snapshot", async () => {
    const store = new MemoryObjectStore('pipeline');
    await store.put('config/rules.yaml', new TextEncoder().encode(oneRule('match: up')));
    const source = new RulesSource({ location: 's3://pipeline/config/rules.yaml', read: rulesTextReader({ store }) });
    const provider = rulesSnapshotProvider({ rules: source, store });

    const hash = await provider.snapshotHash('team-a');

    assert.equal((await loadRulesSnapshot(store, 'team-a', hash)).rules[0]?.id, 'r1');
    assert.equal(await provider.snapshotHash('nobody'), emptyRulesHash);
  });

  it('keeps the last good rules when a reload fails, but fails a first load', async () => {
    let text = oneRule('match: up');
    let now = 0;
    const source = new RulesSource({ location: 'rules.yaml', read: async () => text, ttlMs: 10, clock: () => now });
    const first = await source.rules();

    text = oneRule('match: "{job=\\"x\\"}"');
    now = 100;
    assert.equal(await source.rules(), first);
    await assert.rejects(new RulesSource({ location: 'rules.yaml', read: async () => text }).rules(), RulesValidationError);
    await assert.rejects(rulesTextReader({ store: new MemoryObjectStore('b') })('s3://other/rules.yaml'), /pipeline's bucket/);
  });
});

const mixedRules = snapshotOf(`
- id: req_sum
  record: "requests:sum"
  match: 'http_requests{code=~"5.."}'
  group_by: [service]
- id: req_count
  record: "requests:count"
  match: 'http_requests'
  aggregation: count
  labels: { team: core }
- id: cpu
  record: "cpu:sum"
  match: '${cpuType}'
  group_by: [service_name]
- id: gc
  record: "gc_cpu:sum"
  match: '${cpuType}'
  group_by: [service_name]
  function: runtime.gc
- id: json
  record: "json_cpu:sum"
  match: '${cpuType}'
  function_regex: 'encoding/json\\..*'
`);

// Values whose sum depends on the order they are added in (0.1 + 0.2 ≠ 0.2 + 0.1 in the last bit).
function jobSeries(): Series[] {
  return [
    profile({ service_name: 'api' }, [
      { ts: 10, stacks: [[['runtime.gc', 'main'], 0.1], [['encoding/json.Marshal', 'main'], 0.7], [['main'], 1e16]] },
      { ts: 20, stacks: [[['runtime.gc', 'main'], 0.2], [['runtime.gc'], 0.3]] },
    ]),
    series('http_requests', { code: '500', service: 'a' }, [[1, 0.1], [2, 0.2], [3, 0.3], [4, 1e16], [5, -1e16]]),
    series('http_requests', { code: '503', service: 'a' }, [[1, 0.7], [2, Number.NaN], [3, 0.1]]),
    series('http_requests', { code: '200', service: 'a' }, [[1, 5]]),
    series('http_requests', { code: '502' }, [[1, -0], [2, -0]]),
  ].sort((x, y) => compareLabelSets(x.labels, y.labels));
}

function bits(evaluation: RuleEvaluation): string[] {
  const view = new DataView(new ArrayBuffer(8));
  return evaluation.increments.map((inc) => {
    view.setFloat64(0, inc.value);
    return `${inc.labels.map((l) => `${l.name}=${l.value}`).join(',')} ${view.getBigUint64(0).toString(16)}`;
  });
}

/** Splits each series into consecutive pieces at the given cut points (the evaluator takes pieces in order). */
function piecesOf(list: Series[], cuts: number[]): Series[] {
  const out: Series[] = [];
  list.forEach((one, i) => {
    const cut = cuts[i % cuts.length]! % (one.samples.length + 1);
    const stackCut = one.stacks.findIndex((s) => s.timestamp >= (one.samples[cut]?.timestamp ?? Infinity));
    const split = stackCut < 0 ? one.stacks.length : stackCut;
    out.push({ ...one, samples: one.samples.slice(0, cut), stacks: one.stacks.slice(0, split) });
    out.push({ ...one, samples: one.samples.slice(cut), stacks: one.stacks.slice(split) });
  });
  return out.filter((piece) => piece.samples.length > 0 || piece.stacks.length > 0);
}

describe('rules: evaluation', () => {
  it('sums samples, counts them, and sums the stacks that contain a function', () => {
    const result = evaluateRules(mixedRules, jobSeries(), { shard: 3 });
    const values = new Map(result.increments.map((inc) => [inc.labels.map((l) => `${l.name}=${l.value}`).join(','), inc.value]));

    assert.deepEqual([...values.keys()], [
      '__name__=cpu:sum,service_name=api,strata_rule=cpu,strata_shard=3',
      '__name__=gc_cpu:sum,service_name=api,strata_rule=gc,strata_shard=3',
      '__name__=json_cpu:sum,strata_rule=json,strata_shard=3',
      '__name__=requests:count,strata_rule=req_count,strata_shard=3,team=core',
      '__name__=requests:sum,service=a,strata_rule=req_sum,strata_shard=3',
      '__name__=requests:sum,strata_rule=req_sum,strata_shard=3',
    ]);
    assert.equal(values.get('__name__=gc_cpu:sum,service_name=api,strata_rule=gc,strata_shard=3'), 0.1 + 0.2 + 0.3);
    assert.equal(values.get('__name__=json_cpu:sum,strata_rule=json,strata_shard=3'), 0.7);
    assert.equal(values.get('__name__=requests:count,strata_rule=req_count,strata_shard=3,team=core'), 10); // the NaN is not counted
    assert.ok(Object.is(values.get('__name__=requests:sum,strata_rule=req_sum,strata_shard=3'), 0), '-0 + -0 is exported as +0');
    assert.equal(result.stats.find((s) => s.ruleId === 'req_sum')?.skippedValues, 1);
    for (const inc of result.increments) assert.equal(labelSetProblem(inc.labels), undefined);
  });

  it('gives bit-identical values however the job is chunked: pieces, segments merged in any split', async () => {
    const expected = bits(evaluateRules(mixedRules, jobSeries(), { shard: 0 }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(10), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(3), { minLength: 1, maxLength: 8 }), async (cuts, segmentOf) => {
        // As pieces of series, in order.
        assert.deepEqual(bits(evaluateRules(mixedRules, piecesOf(jobSeries(), cuts), { shard: 0 })), expected);
        // As the merge of up to four segments, each holding some of the rows.
        const segments: Series[][] = [[], [], [], []];
        piecesOf(jobSeries(), cuts).forEach((piece, i) => segments[segmentOf[i % segmentOf.length]!]!.push(piece));
        const sources = segments.map((list) => {
          const merged = new Map<string, Series>();
          for (const piece of list) {
            const key = JSON.stringify(piece.labels);
            const before = merged.get(key);
            merged.set(key, before === undefined ? piece : { ...before, samples: [...before.samples, ...piece.samples], stacks: [...before.stacks, ...piece.stacks], functions: before.functions });
          }
          return [...merged.values()].sort((x, y) => compareLabelSets(x.labels, y.labels));
        });
        assert.deepEqual(bits(evaluateRules(mixedRules, await mergeSeriesLists(sources), { shard: 0 })), expected);
      }),
      { numRuns: 200 },
    );
  });

  it('evaluated from the block a job wrote, gives the same values as from its merged sources', async () => {
    const halves = [0, 1].map((half) => jobSeries().map((one) => ({ ...one, samples: one.samples.filter((_, i) => i % 2 === half), stacks: one.stacks.filter((st) => (st.timestamp / 10) % 2 === half) })));
    const sources = halves.map((list, i) => {
      const id = `01JD5Z3Q4R8X9V2W6T7Y0K1M3${'AB'[i]}`;
      const kept = list.filter((one) => one.samples.length > 0 || one.stacks.length > 0);
      return { key: segmentKey('team-a', 0, id), bytes: encodeFile(segmentIdentity({ id }), kept) };
    });
    const block = await buildBlockInMemory({ ...segmentIdentity(), level: 1, id: 'L1-00000001' }, sources);

    const fromBlock = evaluateRules(mixedRules, FileReader.open(block.bytes).series(), { shard: 0 });

    assert.deepEqual(bits(fromBlock), bits(evaluateRules(mixedRules, jobSeries(), { shard: 0 })));
  });

  it('refuses series out of label order or samples out of time order', () => {
    const [first, second] = jobSeries();
    const evaluator = new RuleEvaluator(mixedRules, { shard: 0 });
    evaluator.add(second!);
    assert.throws(() => evaluator.add(first!), RulesEvaluationError);
    assert.throws(
      () => evaluateRules(mixedRules, [series('http_requests', { code: '500' }, [[5, 1]]), series('http_requests', { code: '500' }, [[4, 1]])], { shard: 0 }),
      /time order/,
    );
  });

  it('drops output series whose labels a receiver would refuse, and counts them', () => {
    const snapshot = snapshotOf(`- { id: r, record: "out:sum", match: up, group_by: [path] }`);
    const result = evaluateRules(snapshot, [series('up', { path: 'x'.repeat(3000) }, [[1, 1]]), series('up', { path: 'y' }, [[1, 1]])], { shard: 0 });

    assert.equal(result.increments.length, 1);
    assert.equal(result.stats[0]?.invalidSeries, 1);
  });
});
