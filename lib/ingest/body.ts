/**
 * Getting at a request's payload safely: media types, size limits checked before anything is
 * decompressed, snappy (block format) and gzip with a hard output limit, and multipart forms.
 */
import { gunzipSync } from 'node:zlib';
import type { IngestLimits } from './contract.js';
import { CorruptPayloadError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';
import { snappyDecodedLength, snappyUncompress } from '../segment/snappy.js';

export interface MediaType {
  /** Lower case, without parameters, e.g. "application/x-protobuf"; "" when the header is absent. */
  type: string;
  /** Parameter names in lower case; quoted values unquoted. */
  params: Record<string, string>;
}

export function parseMediaType(header: string | undefined): MediaType {
  if (header === undefined || header.trim() === '') return { type: '', params: {} };
  const [type = '', ...rest] = header.split(';');
  const params: Record<string, string> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    params[part.slice(0, eq).trim().toLowerCase()] = value;
  }
  return { type: type.trim().toLowerCase(), params };
}

/** The Content-Encoding in lower case, "" when absent or "identity". Only one coding is accepted. */
export function contentEncoding(headers: Readonly<Record<string, string>>): string {
  const value = (headers['content-encoding'] ?? '').trim().toLowerCase();
  if (value.includes(',')) throw new UnsupportedMediaTypeError(`Content-Encoding ${JSON.stringify(value)}: only one coding is supported`);
  return value === 'identity' ? '' : value;
}

export function checkBodySize(body: Uint8Array, limits: IngestLimits): void {
  if (body.length > limits.maxBodyBytes) {
    throw new PayloadTooLargeError(`body is ${body.length} bytes, above the limit of ${limits.maxBodyBytes}`);
  }
}

/**
 * Decompresses a snappy block after checking its length preamble against the decoded-size limit,
 * so an oversized or lying stream is refused before any output is allocated.
 */
export function decodeSnappy(body: Uint8Array, limits: IngestLimits): Uint8Array {
  const declared = snappyDecodedLength(body);
  if (declared === undefined) throw new CorruptPayloadError('snappy', 'the length preamble is missing or invalid');
  if (declared > limits.maxDecodedBytes) {
    throw new PayloadTooLargeError(`snappy body declares ${declared} decoded bytes, above the limit of ${limits.maxDecodedBytes}`);
  }
  try {
    return snappyUncompress(body, limits.maxDecodedBytes);
  } catch (cause) {
    throw new CorruptPayloadError('snappy', (cause as Error).message, { cause });
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gunzips with zlib stopping (and this throwing 413) as soon as the output passes the limit. */
export function decodeGzip(body: Uint8Array, limits: IngestLimits): Uint8Array {
  try {
    return gunzipSync(body, { maxOutputLength: limits.maxDecodedBytes });
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PayloadTooLargeError(`gzip body decodes to more than the limit of ${limits.maxDecodedBytes} bytes`, { cause });
    }
    throw new CorruptPayloadError('gzip', (cause as Error).message, { cause });
  }
}

/** Applies a Content-Encoding of "" (none) or "gzip"; anything else is a 415. */
export function decodeContentEncoding(body: Uint8Array, encoding: string, limits: IngestLimits): Uint8Array {
  if (encoding === '') {
    if (body.length > limits.maxDecodedBytes) {
      throw new PayloadTooLargeError(`body is ${body.length} bytes, above the decoded limit of ${limits.maxDecodedBytes}`);
    }
    return body;
  }
  if (encoding === 'gzip' || encoding === 'x-gzip') return decodeGzip(body, limits);
  throw new UnsupportedMediaTypeError(`Content-Encoding ${JSON.stringify(encoding)} is not supported here (use gzip or none)`);
}

export interface FormPart {
  name: string;
  filename: string | undefined;
  body: Uint8Array;
}

/** Splits a multipart/form-data body into its parts (RFC 7578). Part bodies are views into `body`. */
export function parseMultipart(body: Uint8Array, boundary: string | undefined): FormPart[] {
  if (boundary === undefined || boundary === '' || boundary.length > 70) {
    throw new CorruptPayloadError('multipart', 'the Content-Type has no usable boundary parameter');
  }
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const parts: FormPart[] = [];
  let position = bytes.indexOf(delimiter);
  if (position < 0) throw new CorruptPayloadError('multipart', 'the boundary does not occur in the body');
  for (;;) {
    let cursor = position + delimiter.length;
    if (bytes[cursor] === 0x2d && bytes[cursor + 1] === 0x2d) return parts; // "--": the closing delimiter
    cursor = skipLineEnd(bytes, skipSpaces(bytes, cursor));
    const headerEnd = bytes.indexOf('\r\n\r\n', cursor, 'latin1');
    if (headerEnd < 0) throw new CorruptPayloadError('multipart', `part ${parts.length + 1} has no end of headers`);
    const headers = bytes.toString('latin1', cursor, headerEnd).split('\r\n');
    const next = bytes.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new CorruptPayloadError('multipart', `part ${parts.length + 1} is not terminated by the boundary`);
    const disposition = headers.find((line) => line.toLowerCase().startsWith('content-disposition:'));
    const dispositionParams = parseMediaType(disposition?.slice(disposition.indexOf(':') + 1)).params;
    const name = dispositionParams['name'];
    if (name === undefined) throw new CorruptPayloadError('multipart', `part ${parts.length + 1} has no name`);
    parts.push({ name, filename: dispositionParams['filename'], body: body.subarray(headerEnd + 4, next) });
    position = next + 2;
  }
}

function skipSpaces(bytes: Buffer, at: number): number {
  while (bytes[at] === 0x20 || bytes[at] === 0x09) at++;
  return at;
}

function skipLineEnd(bytes: Buffer, at: number): number {
  if (bytes[at] === 0x0d && bytes[at + 1] === 0x0a) return at + 2;
  throw new CorruptPayloadError('multipart', 'a boundary line does not end with CRLF');
}
