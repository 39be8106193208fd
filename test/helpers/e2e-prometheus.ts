/**
 * Reading the export tests' results back from Prometheus' HTTP API: the latest counters summed over
 * shards (`sum without (strata_shard)`, as docs/rules.md tells users to query), the raw samples of
 * every output series, and `increase()` over exact ranges.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupLabelOf, totalsKey, type Totals } from './e2e-data.js';

type Metric = Record<string, string>;

export class PrometheusApi {
  constructor(readonly url: string) {}

  async instant(query: string, timeMs?: number): Promise<Array<{ metric: Metric; value: number }>> {
    const params = new URLSearchParams({ query, ...(timeMs === undefined ? {} : { time: (timeMs / 1000).toFixed(3) }) });
    const body = await this.get(params);
    assert.equal(body.data.resultType, 'vector', query);
    return (body.data.result as Array<{ metric: Metric; value: [number, string] }>).map((one) => ({ metric: one.metric, value: Number(one.value[1]) }));
  }

  /** A range vector selector evaluated now: every raw sample of every matching series. */
  async samples(selector: string, range = '30m'): Promise<Array<{ metric: Metric; samples: Array<[number, number]> }>> {
    const body = await this.get(new URLSearchParams({ query: `${selector}[${range}]` }));
    assert.equal(body.data.resultType, 'matrix');
    return (body.data.result as Array<{ metric: Metric; values: Array<[number, string]> }>).map((one) => ({
      metric: one.metric,
      samples: one.values.map(([t, v]): [number, number] => [Math.round(t * 1000), Number(v)]),
    }));
  }

  private async get(params: URLSearchParams): Promise<{ data: { resultType: string; result: unknown[] } }> {
    const response = await fetch(`${this.url}/api/v1/query?${params}`);
    const body = (await response.json()) as { status: string; data: { resultType: string; result: unknown[] }; error?: string };
    assert.equal(body.status, 'success', `${params.get('query')}: ${JSON.stringify(body)}`);
    return body;
  }

  /**
   * Every rule's latest counter for a tenant, summed over shards by PromQL: now, or (`at`) the last
   * sample of each series within `lookback` before a given time.
   */
  async totals(tenant: string, at?: { timeMs: number; lookback: string }): Promise<Totals> {
    const selector = `{__name__=~"e2e:.+", strata_tenant="${tenant}"}`;
    const query = at === undefined ? `sum without (strata_shard) (${selector})` : `sum without (strata_shard) (last_over_time(${selector}[${at.lookback}]))`;
    const result = await this.instant(query, at?.timeMs);
    const totals: Totals = new Map();
    for (const { metric, value } of result) {
      const rule = metric['strata_rule']!;
      totals.set(totalsKey(rule, metric[groupLabelOf[rule]!] ?? ''), value);
    }
    return totals;
  }

  /** Waits until the tenant's totals equal `expected`; fails with the last totals seen. */
  async waitForTotals(tenant: string, expected: Totals, timeoutMs: number, what: string): Promise<number> {
    const start = Date.now();
    for (;;) {
      const last = await this.totals(tenant);
      if (sameTotals(last, expected)) return Date.now();
      if (Date.now() - start > timeoutMs) {
        assert.deepEqual(sorted(last), sorted(expected), `${what}: Prometheus did not reach the ground truth within ${timeoutMs / 1000} s`);
      }
      await sleep(250);
    }
  }

  /**
   * increase() of every output series of the tenant, from its last sample at or before
   * `baselineMs` to its latest sample, evaluated at that latest sample with a range that starts
   * exactly at the baseline sample. Prometheus 2.42's ranges are closed and extrapolation adds
   * nothing when both ends sit on samples, so each result is exactly latest − baseline as Prometheus
   * computes it; the results are summed over shards per rule and group. Also checks that each
   * series is a counter that never goes down (no resets) with strictly increasing timestamps.
   */
  async increaseSince(tenant: string, baselineMs: number): Promise<Totals> {
    const series = await this.samples(`{__name__=~"e2e:.+", strata_tenant="${tenant}"}`);
    const totals: Totals = new Map();
    for (const { metric, samples } of series) {
      const name = describe(metric);
      for (let i = 1; i < samples.length; i++) {
        assert.ok(samples[i]![0] > samples[i - 1]![0], `${name}: timestamps must increase`);
        assert.ok(samples[i]![1] >= samples[i - 1]![1], `${name}: the counter went down (${samples[i - 1]![1]} → ${samples[i]![1]})`);
      }
      const baseline = samples.filter(([t]) => t <= baselineMs).at(-1);
      assert.ok(baseline !== undefined, `${name}: no sample at or before the baseline ${baselineMs}: ${JSON.stringify(samples)}`);
      const latest = samples.at(-1)!;
      let increase = 0;
      if (latest[0] > baseline[0]) {
        const result = await this.instant(`increase(${name}[${latest[0] - baseline[0]}ms])`, latest[0]);
        assert.equal(result.length, 1, `increase(${name}): ${JSON.stringify(result)}`);
        increase = result[0]!.value;
        assert.equal(increase, latest[1] - baseline[1], `increase(${name}) over [baseline, latest]`);
      }
      const rule = metric['strata_rule']!;
      const key = totalsKey(rule, metric[groupLabelOf[rule]!] ?? '');
      totals.set(key, (totals.get(key) ?? 0) + increase);
    }
    return totals;
  }
}

export function sameTotals(a: Totals, b: Totals): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

export function sorted(totals: Totals): Array<[string, number]> {
  return [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A selector naming exactly this series. */
function describe(metric: Metric): string {
  const { __name__: name, ...rest } = metric;
  return `${name}{${Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}
