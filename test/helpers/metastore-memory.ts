/**
 * An in-memory ObjectStore with real conditional-write semantics, for pure unit tests only
 * (the proofs run against the embedded stack). ETags change on every write.
 */
import { assembleParts, type ConditionalPutResult, type MultipartUpload, type ObjectInfo, type ObjectRange, type ObjectStore, type PutOptions, type StoredObject } from '../../lib/aws/contract.js';

interface Entry {
  body: Uint8Array;
  etag: string;
  lastModified: Date;
}

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Entry>();
  private version = 0;
  constructor(readonly bucket = 'memory') {}

  async get(key: string): Promise<StoredObject | undefined> {
    const entry = this.objects.get(key);
    return entry && { key, body: entry.body, etag: entry.etag, lastModified: entry.lastModified };
  }
  async getRange(key: string, offset: number, length: number): Promise<ObjectRange | undefined> {
    const entry = this.objects.get(key);
    return entry && { body: entry.body.subarray(offset, offset + length), size: entry.body.length };
  }
  async head(key: string): Promise<ObjectInfo | undefined> {
    const entry = this.objects.get(key);
    return entry && { key, size: entry.body.length, etag: entry.etag, lastModified: entry.lastModified };
  }
  async put(key: string, body: Uint8Array, _options?: PutOptions): Promise<string> {
    return this.write(key, body);
  }
  async startMultipartUpload(key: string): Promise<MultipartUpload> {
    const parts = new Map<number, Uint8Array>();
    return {
      uploadPart: async (partNumber, body) => void parts.set(partNumber, body),
      complete: async () => this.write(key, assembleParts(parts)),
      abort: async () => parts.clear(),
    };
  }
  async putIfAbsent(key: string, body: Uint8Array): Promise<ConditionalPutResult> {
    if (this.objects.has(key)) return { outcome: 'precondition-failed' };
    return { outcome: 'written', etag: this.write(key, body) };
  }
  async putIfMatch(key: string, body: Uint8Array, etag: string): Promise<ConditionalPutResult> {
    const entry = this.objects.get(key);
    if (entry === undefined) return { outcome: 'missing' };
    if (entry.etag !== etag) return { outcome: 'precondition-failed' };
    return { outcome: 'written', etag: this.write(key, body) };
  }
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of [...this.objects.keys()].sort()) {
      if (key.startsWith(prefix)) yield (await this.head(key))!;
    }
  }
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.objects.delete(key);
  }
  async copy(fromKey: string, toKey: string): Promise<void> {
    const entry = this.objects.get(fromKey);
    if (entry === undefined) throw new Error(`NoSuchKey ${fromKey}`);
    this.write(toKey, entry.body);
  }
  private write(key: string, body: Uint8Array): string {
    const etag = `"v${++this.version}"`;
    this.objects.set(key, { body: new Uint8Array(body), etag, lastModified: new Date() });
    return etag;
  }
}
