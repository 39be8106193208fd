/**
 * Where a block's bytes go while it is being built. A block can be larger than a Lambda's memory,
 * so its chunks leave as they are sealed; its header, which counts them all, comes last — yet it
 * must be the first bytes of the object. S3 multipart uploads take parts in any order: the first
 * part (the header plus at least 5 MiB of chunks, held back) is uploaded after all the others.
 * A block smaller than that is a single PUT, like any other object.
 */
import { minPartBytes, type MultipartUpload, type ObjectStore } from '../aws/contract.js';

export interface BlockOutput {
  /** Chunks sealed so far, in file order. */
  write(chunks: readonly Uint8Array[]): Promise<void>;
  /** The file's head and its remaining chunks; the object is complete when this resolves. Returns its size. */
  finish(head: Uint8Array, chunks: readonly Uint8Array[]): Promise<number>;
  /** Forgets everything written (a source failed mid-merge and the block is built again). */
  discard(): Promise<void>;
}

export const blockContentType = 'application/vnd.strata.block';

/** Parts after the first; larger parts mean fewer requests, smaller ones less memory. */
const defaultPartBytes = 8 * 2 ** 20;

/** Writes a block to the store under `key`, holding at most about two parts in memory. */
export class StoreBlockOutput implements BlockOutput {
  private firstPart: Uint8Array[] = [];
  private firstPartBytes = 0;
  private nextPart: Uint8Array[] = [];
  private nextPartBytes = 0;
  private uploadedBytes = 0;
  private upload: MultipartUpload | undefined;
  private partNumber = 1;

  constructor(
    private readonly store: ObjectStore,
    private readonly key: string,
    private readonly partBytes = defaultPartBytes,
  ) {}

  async write(chunks: readonly Uint8Array[]): Promise<void> {
    for (const chunk of chunks) {
      if (this.firstPartBytes < minPartBytes) {
        this.firstPart.push(chunk);
        this.firstPartBytes += chunk.length;
        continue;
      }
      this.nextPart.push(chunk);
      this.nextPartBytes += chunk.length;
      if (this.nextPartBytes >= this.partBytes) await this.uploadNextPart();
    }
  }

  async finish(head: Uint8Array, chunks: readonly Uint8Array[]): Promise<number> {
    await this.write(chunks);
    const size = head.length + this.firstPartBytes + this.nextPartBytes + this.uploadedBytes;
    const firstPart = Buffer.concat([head, ...this.firstPart]);
    try {
      if (this.upload === undefined && this.nextPartBytes === 0) {
        await this.store.put(this.key, firstPart, { contentType: blockContentType });
      } else {
        if (this.nextPartBytes > 0) await this.uploadNextPart();
        const upload = await this.started();
        await upload.uploadPart(1, firstPart);
        await upload.complete();
        this.upload = undefined;
      }
    } catch (error) {
      // The attempt fails with its own error; an abort that fails too is left to the lifecycle rule.
      await this.discard().catch(() => undefined);
      throw error;
    }
    await this.discard();
    return size;
  }

  async discard(): Promise<void> {
    const upload = this.upload;
    this.firstPart = [];
    this.firstPartBytes = 0;
    this.nextPart = [];
    this.nextPartBytes = 0;
    this.uploadedBytes = 0;
    this.upload = undefined;
    this.partNumber = 1;
    // An upload left behind costs storage until the bucket's lifecycle rule removes it.
    if (upload !== undefined) await upload.abort();
  }

  private async uploadNextPart(): Promise<void> {
    const upload = await this.started();
    this.partNumber++;
    await upload.uploadPart(this.partNumber, Buffer.concat(this.nextPart));
    this.uploadedBytes += this.nextPartBytes;
    this.nextPart = [];
    this.nextPartBytes = 0;
  }

  private async started(): Promise<MultipartUpload> {
    this.upload ??= await this.store.startMultipartUpload(this.key, { contentType: blockContentType });
    return this.upload;
  }
}

/** Keeps the block in memory (tests, benchmarks, tools). */
export class MemoryBlockOutput implements BlockOutput {
  private chunks: Uint8Array[] = [];
  bytes: Uint8Array = new Uint8Array(0);

  async write(chunks: readonly Uint8Array[]): Promise<void> {
    this.chunks.push(...chunks);
  }

  async finish(head: Uint8Array, chunks: readonly Uint8Array[]): Promise<number> {
    this.bytes = Buffer.concat([head, ...this.chunks, ...chunks]);
    this.chunks = [];
    return this.bytes.length;
  }

  async discard(): Promise<void> {
    this.chunks = [];
  }
}
