/**
 * AWS Signature Version 4 for S3Direct's object requests, in the header form with a signed payload.
 *
 * The SDK's signer (@smithy/signature-v4) is general: it copies the request, walks every header
 * against its rules and awaits each hash, and took twice the CPU of this one per request
 * (docs/ingest.md, "Performance"). These requests are narrower — no query string, a path already encoded as S3
 * signs it, header names already lower case — so this signer only builds the canonical request,
 * hashes it and MACs it with a signing key derived once per day, region and secret. Its output is
 * the SDK signer's, which the unit tests check on the AWS documentation's example and on random
 * requests.
 */
import { createHash, createHmac } from 'node:crypto';

/** Headers that proxies may change or add, left unsigned as the SDK leaves them. */
const unsignedHeaders = new Set(['user-agent', 'x-amzn-trace-id']);

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** Fixed credentials, or the SDK client's provider (which caches and refreshes them). */
export type CredentialSource = SigningCredentials | (() => Promise<SigningCredentials>);

export interface RequestToSign {
  method: string;
  /** The path as sent: each key segment percent-encoded once (encodeKey), no query string. */
  path: string;
  /** Lower-case names; `host` and `x-amz-content-sha256` (the payload's SHA-256 in hex) included. */
  headers: Readonly<Record<string, string>>;
}

export class S3RequestSigner {
  private signingKey: { cacheKey: string; key: Buffer } | undefined;

  constructor(
    private readonly credentials: CredentialSource,
    private readonly region: string,
    private readonly service = 's3',
  ) {}

  /** The request's headers plus `x-amz-date`, `x-amz-security-token` (with temporary credentials) and `authorization`. */
  async sign(request: RequestToSign, signingDate = new Date()): Promise<Record<string, string>> {
    const credentials = typeof this.credentials === 'function' ? await this.credentials() : this.credentials;
    const longDate = signingDate.toISOString().replace(/[-:]|\.\d{3}/g, ''); // 20130524T000000Z
    const shortDate = longDate.slice(0, 8);
    const headers: Record<string, string> = { ...request.headers, 'x-amz-date': longDate };
    if (credentials.sessionToken !== undefined) headers['x-amz-security-token'] = credentials.sessionToken;
    const names = Object.keys(headers)
      .filter((name) => !unsignedHeaders.has(name))
      .sort();
    let canonicalHeaders = '';
    for (const name of names) canonicalHeaders += `${name}:${headers[name]!.trim().replace(/\s+/g, ' ')}\n`;
    const signedHeaders = names.join(';');
    const canonicalRequest = `${request.method}\n${request.path}\n\n${canonicalHeaders}\n${signedHeaders}\n${headers['x-amz-content-sha256']}`;
    const scope = `${shortDate}/${this.region}/${this.service}/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${longDate}\n${scope}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
    const signature = createHmac('sha256', this.keyFor(credentials.secretAccessKey, shortDate)).update(stringToSign).digest('hex');
    headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }

  /** The day's signing key: HMAC chain over date, region, service and "aws4_request", kept until any of them changes. */
  private keyFor(secretAccessKey: string, shortDate: string): Buffer {
    const cacheKey = `${shortDate}\n${secretAccessKey}`;
    if (this.signingKey?.cacheKey !== cacheKey) {
      let key = createHmac('sha256', `AWS4${secretAccessKey}`).update(shortDate).digest();
      for (const part of [this.region, this.service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
      this.signingKey = { cacheKey, key };
    }
    return this.signingKey.key;
  }
}
