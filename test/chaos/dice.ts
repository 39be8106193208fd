/**
 * Seeded choices for the chaos campaigns. Each concern draws from its own stream (the workload,
 * the schedule, the faults), derived from the seed and a name, so that a seed always makes the
 * same choices and a change in how one stream is used leaves the others alone.
 */
import { createHash } from 'node:crypto';
import { seededRandom } from '../helpers/e2e-data.js';

export class Dice {
  private readonly next: () => number;

  constructor(seed: number, stream: string) {
    this.next = seededRandom(createHash('sha256').update(`${seed}/${stream}`).digest().readUInt32LE(0));
  }

  /** In [0, 1). */
  random(): number {
    return this.next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('nothing to pick from');
    return items[this.int(items.length)]!;
  }

  /** The items in a random order (a new array). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** One of the entries, with probability proportional to its weight (weights ≤ 0 never). */
  weighted<T>(entries: ReadonlyArray<readonly [number, T]>): T {
    const total = entries.reduce((sum, [weight]) => sum + Math.max(0, weight), 0);
    let left = this.next() * total;
    for (const [weight, value] of entries) {
      if (weight <= 0) continue;
      left -= weight;
      if (left < 0) return value;
    }
    const last = entries.filter(([weight]) => weight > 0).at(-1);
    if (last === undefined) throw new RangeError('no entry has a positive weight');
    return last[1];
  }
}
