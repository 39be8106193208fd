/**
 * An ObjectStore that hands every call to an interceptor before (and around) the real one, so a
 * test can make storage die, fail, wait for its turn or be recorded at any step without writing a
 * whole store again. The planner, compactor and end-to-end fault tests and the chaos harness all
 * build their faulty stores with it.
 *
 * A listing is one call: the interceptor sees it once and the real listing is read in full inside
 * `run()`, so what a caller iterates is the listing as it was at that moment. A multipart upload is
 * seen call by call; its completion carries the object's assembled bytes, so an interceptor can treat
 * it as the write it is.
 */
import { assembleParts, type MultipartUpload, type ObjectInfo, type ObjectStore } from '../../lib/aws/contract.js';

export type StoreCall =
  | { op: 'get' | 'head'; key: string }
  | { op: 'getRange'; key: string; offset: number; length: number }
  | { op: 'put' | 'putIfAbsent'; key: string; body: Uint8Array }
  | { op: 'putIfMatch'; key: string; body: Uint8Array; etag: string }
  | { op: 'list'; prefix: string }
  | { op: 'deleteMany'; keys: readonly string[] }
  | { op: 'copy'; from: string; to: string }
  | { op: 'startMultipartUpload' | 'abortMultipartUpload'; key: string }
  | { op: 'uploadPart'; key: string; partNumber: number; body: Uint8Array }
  | { op: 'completeMultipartUpload'; key: string; body: Uint8Array };

/** Decides what happens to `call`: usually `run()` it, maybe throw before or after. Returns what the caller gets. */
export type StoreInterceptor = (call: StoreCall, run: () => Promise<unknown>) => Promise<unknown>;

export function interceptStore(store: ObjectStore, intercept: StoreInterceptor): ObjectStore {
  const call = <T>(description: StoreCall, run: () => Promise<T>) => intercept(description, run) as Promise<T>;
  return {
    bucket: store.bucket,
    get: (key) => call({ op: 'get', key }, () => store.get(key)),
    head: (key) => call({ op: 'head', key }, () => store.head(key)),
    getRange: (key, offset, length) => call({ op: 'getRange', key, offset, length }, () => store.getRange(key, offset, length)),
    put: (key, body, options) => call({ op: 'put', key, body }, () => store.put(key, body, options)),
    putIfAbsent: (key, body, options) => call({ op: 'putIfAbsent', key, body }, () => store.putIfAbsent(key, body, options)),
    putIfMatch: (key, body, etag, options) => call({ op: 'putIfMatch', key, body, etag }, () => store.putIfMatch(key, body, etag, options)),
    async *list(prefix) {
      yield* await call({ op: 'list', prefix }, async () => {
        const listed: ObjectInfo[] = [];
        for await (const info of store.list(prefix)) listed.push(info);
        return listed;
      });
    },
    deleteMany: (keys) => call({ op: 'deleteMany', keys }, () => store.deleteMany(keys)),
    copy: (from, to) => call({ op: 'copy', from, to }, () => store.copy(from, to)),
    startMultipartUpload: async (key, options): Promise<MultipartUpload> => {
      const upload = await call({ op: 'startMultipartUpload', key }, () => store.startMultipartUpload(key, options));
      const parts = new Map<number, Uint8Array>();
      return {
        uploadPart: (partNumber, body) =>
          call({ op: 'uploadPart', key, partNumber, body }, async () => {
            await upload.uploadPart(partNumber, body);
            parts.set(partNumber, body);
          }),
        complete: () => call({ op: 'completeMultipartUpload', key, body: assembleParts(parts) }, () => upload.complete()),
        abort: () => call({ op: 'abortMultipartUpload', key }, () => upload.abort()),
      };
    },
  };
}

