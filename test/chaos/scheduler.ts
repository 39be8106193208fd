/**
 * Deterministic concurrency for the fault campaign. Every storage call, queue send and
 * remote-write request of a running invocation waits for its turn; the world grants turns one at a
 * time, in an order drawn from the seed. Invocations really overlap — a planner's state write can
 * land between two calls of a compactor, a tick can read a state between a commit and its dispatch
 * — but a seed always gives the same interleaving, so a failure replays.
 *
 * A turn is also where an invocation dies. An invocation armed with a crash point dies at its n-th
 * call, before the call or right after it took effect (the caller never learns the outcome); every
 * call it makes afterwards fails at once, so nothing it does after its death reaches storage,
 * queues or the receiver — as with a Lambda container that was killed.
 */

import { createHash } from 'node:crypto';

/** The process running the invocation died. */
export class Crash extends Error {
  override name = 'Crash';
}

export type InvocationKind = 'ingest' | 'user' | 'planner' | 'compactor' | 'tick';

export interface CrashPoint {
  /** 1-based index of the call at which the invocation dies. */
  call: number;
  /** Die after the call took effect, rather than before it was made. */
  after: boolean;
}

export class Invocation {
  calls = 0;
  dead = false;
  settled = false;

  constructor(
    readonly kind: InvocationKind,
    /** For the trace, e.g. "compactor#12 t0/2#5 L1". */
    readonly label: string,
    readonly crashPoint: CrashPoint | undefined,
  ) {}
}

interface Waiting {
  invocation: Invocation;
  what: string;
  go: () => Promise<void>;
  fail: (error: Error) => void;
}

export class Scheduler {
  private readonly waiting: Waiting[] = [];
  private readonly live = new Set<Invocation>();
  private nextId = 0;
  /** Every granted call in order, hashed: equal for two runs of a seed that interleaved the same way. */
  private readonly history = createHash('sha256');
  /** Called when an invocation dies at its crash point, with the call it died at. */
  onCrash: (invocation: Invocation, what: string, after: boolean) => void = () => {};

  newInvocation(kind: InvocationKind, label: string, crashPoint?: CrashPoint): Invocation {
    return new Invocation(kind, `${kind}#${++this.nextId}${label === '' ? '' : ` ${label}`}`, crashPoint);
  }

  /** Runs the invocation's body; it counts as live until the body settles. */
  run<T>(invocation: Invocation, body: () => Promise<T>): Promise<T> {
    this.live.add(invocation);
    return body().finally(() => {
      invocation.settled = true;
      this.live.delete(invocation);
    });
  }

  get liveInvocations(): readonly Invocation[] {
    return [...this.live];
  }

  /** A digest of the calls granted so far, in order. */
  digest(): string {
    return this.history.copy().digest('hex').slice(0, 16);
  }

  /** Calls waiting for their turn. */
  get pending(): number {
    return this.waiting.length;
  }

  /** `call` runs when the world grants this invocation a turn. */
  turn<T>(invocation: Invocation, what: string, call: () => Promise<T>): Promise<T> {
    if (invocation.dead) return Promise.reject(new Crash(`${invocation.label} is dead`));
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        invocation,
        what,
        fail: reject,
        go: async () => {
          invocation.calls++;
          const crash = invocation.crashPoint?.call === invocation.calls ? invocation.crashPoint : undefined;
          if (crash !== undefined && !crash.after) {
            reject(this.kill(invocation, what, false));
            return;
          }
          let result: T;
          try {
            result = await call();
          } catch (error) {
            reject(crash === undefined ? error : this.kill(invocation, what, true));
            return;
          }
          if (crash !== undefined) reject(this.kill(invocation, what, true));
          else resolve(result);
        },
      });
    });
  }

  /**
   * Grants one waiting call (`pick` chooses among them by index, in the order they asked), waits
   * for it, then lets every invocation run on to its next call or its end. False when none waits.
   */
  async grant(pick: (count: number) => number): Promise<boolean> {
    await this.settle();
    if (this.waiting.length === 0) return false;
    const [next] = this.waiting.splice(pick(this.waiting.length), 1);
    this.history.update(`${next!.invocation.label} ${next!.what}\n`);
    await next!.go();
    await this.settle();
    return true;
  }

  /** Grants turns until no invocation is live. */
  async drain(pick: (count: number) => number): Promise<void> {
    for (;;) {
      if (await this.grant(pick)) continue;
      if (this.live.size === 0) return;
    }
  }

  /**
   * Waits until every live invocation is waiting for a turn or has finished. Everything the
   * pipeline awaits besides its calls (injected sleeps, clocks) resolves at once, so this is
   * normally one macrotask; a real timer somewhere in lib only makes it wait longer, not differ.
   */
  async settle(): Promise<void> {
    for (let round = 0; ; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      const running = [...this.live].filter((invocation) => !invocation.settled && !this.waiting.some((w) => w.invocation === invocation));
      if (running.length === 0) return;
      if (round > 50) await new Promise((resolve) => setTimeout(resolve, 1));
      if (round > 20_000) throw new Error(`invocations neither finish nor call: ${running.map((invocation) => invocation.label).join(', ')}`);
    }
  }

  private kill(invocation: Invocation, what: string, after: boolean): Crash {
    invocation.dead = true;
    this.onCrash(invocation, what, after);
    const crash = new Crash(`${invocation.label} died ${after ? 'after' : 'before'} ${what}`);
    // Its other flows die with it.
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const entry = this.waiting[i]!;
      if (entry.invocation !== invocation) continue;
      this.waiting.splice(i, 1);
      entry.fail(crash);
    }
    return crash;
  }
}
