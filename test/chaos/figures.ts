/**
 * The campaigns' figures: what ran, what was injected, what was checked, what failed — summed over
 * seeds and printed at the end of a run (the CLI and the CI tests print the same).
 */
import type { SeedReport } from './fault-campaign.js';
import type { FileWorldReport, RequestResults } from './input-campaign.js';

export const invariantsChecked = [
  '1 no loss, no double count: every acknowledged sample and profile stack in exactly one live object, mid-run and at the end (live set as readers compute it); nothing live that was never pushed',
  '2 deterministic jobs: a block key rewritten only with identical bytes',
  '3 each segment the source of exactly one L1 block (each block of one block of the next level); record chain counts = blocks and segments written',
  '4 exports: no conflicting or out-of-order sample at the receiver; latest record delivered; counters in records and at the receiver = ground truth; a job retried writes the same samples',
  '5 nothing stranded: no pending, waiting, open or tombstoned work, no segment, no queued message, no undelivered record after quiescence; every live block at the final level',
  '6 bad input: valid pushes accepted; bad ones refused with a 4xx and a message (no 5xx); bad files in quarantine with a report; nothing valid in quarantine',
];

export interface FailedSeed {
  seed: number;
  violations: string[];
  /** The faults applied, in order (the trace's FAULT lines). */
  faults: string[];
  replay: string;
}

export class FaultFigures {
  seeds = 0;
  firstSeed: number | undefined;
  readonly failed: FailedSeed[] = [];
  readonly faults = new Map<string, number>();
  readonly invocations = new Map<string, number>();
  samplesChecked = 0;
  countersChecked = 0;
  storageCalls = 0;
  receiverRequests = 0;
  pushes = 0;
  drops = 0;
  simulatedMs = 0;

  add(report: SeedReport, replay: string): void {
    this.seeds++;
    this.firstSeed ??= report.seed;
    addCounts(this.faults, report.faults);
    addCounts(this.invocations, report.invocations);
    this.samplesChecked += report.samplesChecked;
    this.countersChecked += report.countersChecked;
    this.storageCalls += report.storageCalls;
    this.receiverRequests += report.receiverRequests;
    this.pushes += report.pushes;
    this.drops += report.drops;
    this.simulatedMs += report.simulatedMs;
    if (report.violations.length > 0) {
      this.failed.push({ seed: report.seed, violations: report.violations, faults: report.trace.filter((line) => line.includes(' FAULT ')), replay });
    }
  }

  get faultsInjected(): number {
    return sum(this.faults);
  }

  lines(wallMs: number, cpuMs: number): string[] {
    return [
      `== fault campaign: ${this.seeds} seed(s)${this.firstSeed === undefined ? '' : ` from ${this.firstSeed}`}, ${this.failed.length} failed, ${seconds(wallMs)} wall, ${seconds(cpuMs)} CPU`,
      row('pushes acknowledged', `${this.pushes} (and ${this.drops} segment files dropped by users)`),
      row('samples checked', `${this.samplesChecked} acknowledged samples and profile stacks, each in exactly one live block`),
      row('counters checked', `${this.countersChecked} rule counters against the ground truth`),
      row('storage calls', String(this.storageCalls)),
      row('remote-write requests', String(this.receiverRequests)),
      row('simulated time', `${(this.simulatedMs / 3_600_000).toFixed(1)} h`),
      row('invocations', list(this.invocations)),
      row(`faults injected (${this.faultsInjected})`, list(this.faults)),
      ...this.failed.flatMap(describeFailure),
    ];
  }
}

export class InputFigures {
  requests: RequestResults | undefined;
  worlds = 0;
  readonly files = new Map<string, number>();
  quarantineExpected = 0;
  validAfterDamage = 0;
  readonly worldRequests = new Map<string, number>();
  samplesChecked = 0;
  countersChecked = 0;
  readonly failed: FailedSeed[] = [];

  addWorld(report: FileWorldReport, replay: string): void {
    this.worlds++;
    addCounts(this.files, report.files);
    addCounts(this.worldRequests, report.requestOutcomes);
    this.quarantineExpected += report.quarantineExpected;
    this.validAfterDamage += report.validAfterDamage;
    this.samplesChecked += report.samplesChecked;
    this.countersChecked += report.countersChecked;
    if (report.violations.length > 0) this.failed.push({ seed: report.seed, violations: report.violations, faults: [], replay });
  }

  get violations(): number {
    return (this.requests?.violations.length ?? 0) + this.failed.length;
  }

  lines(wallMs: number, cpuMs: number): string[] {
    const requests = this.requests;
    const tried = requests?.tried ?? new Map<string, number>();
    return [
      `== input campaign: ${sum(tried)} bad request(s), ${sum(this.files)} bad file(s) in ${this.worlds} world(s), ${this.violations} violation(s), ${seconds(wallMs)} wall, ${seconds(cpuMs)} CPU`,
      row('requests by damage', list(addCounts(new Map(), tried, (what) => what.split('/')[1]!))),
      row('requests by endpoint', list(addCounts(new Map(), tried, (what) => what.split('/')[0]!))),
      row('ingest answered', list(requests?.outcomes ?? new Map())),
      row('files by damage', list(this.files)),
      row('files quarantined', `${this.quarantineExpected} with a report (${this.validAfterDamage} still valid after the damage, compacted instead)`),
      row('bad requests in worlds', list(this.worldRequests)),
      row('good data checked', `${this.samplesChecked} samples and stacks in exactly one live block, ${this.countersChecked} counters`),
      ...(requests?.violations.slice(0, 20).map((violation) => `  ${violation}`) ?? []),
      ...(requests !== undefined && requests.violations.length > 20 ? [`  … and ${requests.violations.length - 20} more`] : []),
      ...this.failed.flatMap(describeFailure),
    ];
  }
}

export function invariantLines(): string[] {
  return ['== invariants checked', ...invariantsChecked.map((line) => `  ${line}`)];
}

function describeFailure(failure: FailedSeed): string[] {
  return [
    `-- seed ${failure.seed} FAILED (${failure.violations.length} violation(s)):`,
    ...failure.violations.map((violation) => `  ${violation}`),
    ...(failure.faults.length > 0 ? [`  faults applied (${failure.faults.length}):`, ...failure.faults.map((line) => `    ${line.trim()}`)] : []),
    `  replay: ${failure.replay}`,
  ];
}

function row(name: string, value: string): string {
  return `  ${name.padEnd(26)} ${value}`;
}

function list(counts: ReadonlyMap<string, number>): string {
  const entries = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '—' : entries.map(([name, count]) => `${name} ${count}`).join(', ');
}

function addCounts(into: Map<string, number>, counts: ReadonlyMap<string, number>, key: (name: string) => string = (name) => name): Map<string, number> {
  for (const [name, count] of counts) into.set(key(name), (into.get(key(name)) ?? 0) + count);
  return into;
}

function sum(counts: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const count of counts.values()) total += count;
  return total;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
