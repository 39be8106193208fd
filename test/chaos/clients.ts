/**
 * The clients of a seed's workload (plan.ts), for the fault and input campaigns: each push is sent
 * until it is acknowledged — a failed or crashed one again at once, an acknowledged one sometimes
 * again (its answer was lost) — and dropped files likewise, with create-if-absent. A bad request
 * (input campaign) is sent once: any 2xx or 4xx is its answer, a 5xx is not.
 */
import type { TruthSeries } from '../helpers/e2e-data.js';
import { truthRows, type RowExpectation } from './invariants.js';
import type { DropPlan, PushPlan, SeedPlan } from './plan.js';
import type { World } from './world.js';

export class Clients {
  readonly problems: string[] = [];
  /** Ingest's answers to bad requests, by status. */
  readonly badInputOutcomes = new Map<string, number>();
  private readonly unsent: PushPlan[];
  private readonly unsentDrops: DropPlan[];
  private readonly retries: PushPlan[] = [];
  private readonly dropRetries: DropPlan[] = [];
  private readonly acked = new Set<PushPlan>();
  private readonly attempted = new Set<PushPlan>();
  private readonly dropped = new Set<DropPlan>();
  private readonly dropAttempted = new Set<DropPlan>();
  private running = 0;

  constructor(
    private readonly world: World,
    readonly plan: SeedPlan,
  ) {
    this.unsent = [...plan.pushes];
    this.unsentDrops = [...plan.drops];
  }

  get hasRetry(): boolean {
    return this.retries.length + this.dropRetries.length > 0;
  }

  get hasUnsent(): boolean {
    return this.unsent.length + this.unsentDrops.length > 0;
  }

  /** A push or drop is under way: the clock must not jump past the moment its retry would come. */
  get waiting(): boolean {
    return this.running > 0 || this.hasRetry;
  }

  /** Everything sent and answered for good. */
  get done(): boolean {
    return !this.waiting && !this.hasUnsent;
  }

  sendRetry(): void {
    const push = this.retries.shift();
    if (push !== undefined) this.push(push, true);
    else this.drop(this.dropRetries.shift()!, true);
  }

  sendNext(): void {
    const dice = this.world.schedule;
    const pushes = this.unsent.length;
    if (dice.int(pushes + this.unsentDrops.length) < pushes) this.push(this.unsent.shift()!, false);
    else this.drop(this.unsentDrops.shift()!, false);
  }

  /** Sends everything not yet acknowledged, one at a time, until it is (faults are off by now). */
  async finish(): Promise<void> {
    for (let attempt = 0; this.hasRetry || this.hasUnsent; attempt++) {
      if (attempt > 10 * (this.plan.pushes.length + this.plan.drops.length + 1)) throw new Error('clients cannot get their pushes acknowledged without faults');
      if (this.hasRetry) this.sendRetry();
      else this.sendNext();
      await this.world.drain();
    }
  }

  /** Rows of one tenant: acknowledged ones must be live once, sent ones at most once. */
  expectation(tenant: string): RowExpectation {
    const exactlyOnce = new Set<string>();
    const atMostOnce = new Set<string>();
    const add = (series: readonly TruthSeries[], into: Set<string>) => {
      for (const one of series) for (const row of truthRows(one)) into.add(row);
    };
    for (const push of this.attempted) if (push.tenant === tenant) add(push.series, this.acked.has(push) ? exactlyOnce : atMostOnce);
    for (const drop of this.dropAttempted) if (drop.tenant === tenant) add(drop.series, this.dropped.has(drop) ? exactlyOnce : atMostOnce);
    for (const row of exactlyOnce) atMostOnce.delete(row);
    const unreadable = new Set(this.plan.drops.filter((drop) => drop.tenant === tenant && !drop.valid).map((drop) => drop.key));
    return { exactlyOnce, atMostOnce, unreadable };
  }

  /** Everything of the tenant that was acknowledged: the ground truth. */
  series(tenant: string): TruthSeries[] {
    return [
      ...[...this.acked].filter((push) => push.tenant === tenant).flatMap((push) => push.series),
      ...[...this.dropped].filter((drop) => drop.tenant === tenant).flatMap((drop) => drop.series),
    ];
  }

  private push(push: PushPlan, retry: boolean): void {
    this.attempted.add(push);
    this.running++;
    this.world.startIngest(push.request, `${push.label}${retry ? ' (retry)' : ''}`, (outcome) => {
      this.running--;
      const status = outcome.status;
      if (push.mutation !== undefined) this.badInputOutcomes.set(String(status), (this.badInputOutcomes.get(String(status)) ?? 0) + 1);
      if (push.mutation !== undefined && status !== 'crashed' && status < 500) {
        if (status < 300) this.acked.add(push);
        else if (status < 400) this.problems.push(`bad input (${push.mutation}) ${push.label} got ${status}`);
        else if (outcome.body.trim() === '') this.problems.push(`invariant 6: bad input (${push.mutation}) ${push.label} was refused with ${status} and no message`);
        return;
      }
      if (push.mutation !== undefined && !this.world.faultsOn) {
        this.problems.push(`invariant 6: bad input (${push.mutation}) ${push.label} got ${status}${'body' in outcome ? `: ${outcome.body.trim()}` : ''}`);
        return;
      }
      if (status === push.expected) {
        this.acked.add(push);
        if (this.world.faultChance(this.plan.settings.faults.clientRetry)) {
          this.world.fault('client-retry', `${push.label}: the client missed the ${outcome.status} and sends it again`);
          this.retries.push(push);
        }
      } else if (outcome.status === 'crashed' || outcome.status >= 500) {
        this.world.note(`${push.label}: ${outcome.status}, the client retries`);
        this.retries.push(push);
      } else {
        this.problems.push(`invariant 6: a valid push was refused: ${push.label} → ${outcome.status} ${outcome.body.trim()}`);
      }
    });
  }

  private drop(drop: DropPlan, retry: boolean): void {
    this.dropAttempted.add(drop);
    this.running++;
    this.world.startUserPut(drop.key, drop.bytes, (ok) => {
      this.running--;
      if (ok) this.dropped.add(drop);
      else {
        this.world.note(`upload of ${drop.key} failed${retry ? ' again' : ''}, the user retries`);
        this.dropRetries.push(drop);
      }
    });
  }
}
