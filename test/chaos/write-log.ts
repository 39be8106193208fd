/**
 * What the pipeline wrote during a seed, seen at the storage calls: which segments were created,
 * which blocks (with their bytes and the sources their headers name), which objects went to
 * quarantine, and every attempt at an export record. Two invariants are checked as writes happen:
 *
 * - a block key written twice holds the same bytes both times (DESIGN.md invariant 2: a retried job
 *   writes byte-identical outputs under the same key);
 * - every attempt of one job at one export record carries the same samples — timestamp and series
 *   — (invariant 4: a retry resends identical samples). The record's pipeline facts (lag, failed
 *   attempts) describe the attempt and may differ.
 */
import { createHash } from 'node:crypto';
import { readFileHeader } from '../../lib/segment/format.js';
import { prefixes } from '../../lib/segment/keys.js';

const recordKey = /^exports\/[^/]+\/\d+\/\d{16}\.json$/;

export class WriteLog {
  /** Segment keys ever created, with the bytes first written under them. */
  readonly segments = new Map<string, Uint8Array>();
  /** Block key → the sources its header names. */
  readonly blockSources = new Map<string, string[]>();
  /** Keys of objects copied to quarantine. */
  readonly quarantined = new Set<string>();
  readonly problems: string[] = [];
  private readonly blockHashes = new Map<string, string>();
  private readonly recordAttempts = new Map<string, string>();

  write(key: string, body: Uint8Array): void {
    if (key.startsWith(prefixes.segments) && !this.segments.has(key)) this.segments.set(key, body);
    if (!key.startsWith(prefixes.blocks)) return;
    const hash = createHash('sha256').update(body).digest('hex');
    const earlier = this.blockHashes.get(key);
    if (earlier !== undefined && earlier !== hash) this.problems.push(`invariant 2: block ${key} was written again with other bytes`);
    this.blockHashes.set(key, hash);
    try {
      this.blockSources.set(key, readFileHeader(body).sources);
    } catch (error) {
      this.problems.push(`block ${key} was written with a header that does not read back: ${(error as Error).message}`);
    }
  }

  /** A create-if-absent attempt, whether or not it wins. */
  attempt(key: string, body: Uint8Array): void {
    if (!recordKey.test(key)) return;
    const { jobId, ts, series } = JSON.parse(new TextDecoder().decode(body)) as { jobId: string; ts: number; series: unknown };
    const samples = JSON.stringify({ ts, series });
    const id = `${key} ${jobId}`;
    const earlier = this.recordAttempts.get(id);
    if (earlier !== undefined && earlier !== samples) this.problems.push(`invariant 4: job ${jobId} tried to write ${key} with other samples than before`);
    this.recordAttempts.set(id, samples);
  }

  copied(from: string, to: string): void {
    if (to.startsWith(prefixes.quarantine)) this.quarantined.add(from);
  }
}
