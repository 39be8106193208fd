/**
 * S3 errors raised by the embedded stack's additions to fauxqs, rendered as the XML error
 * bodies S3 sends, so the AWS SDK turns them into exceptions with the right `name` and status.
 */

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

export function unescapeXml(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}

export class S3ServiceError extends Error {
  override readonly name = 'S3ServiceError';

  constructor(
    /** The S3 error code, e.g. `PreconditionFailed`; the SDK uses it as the exception's name. */
    readonly code: string,
    message: string,
    readonly statusCode: number,
    /** Extra elements S3 adds to some errors, e.g. `Condition` or `ArgumentName`. */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }

  toXml(requestId: string, hostId: string): string {
    const elements = { Code: this.code, Message: this.message, ...this.details, RequestId: requestId, HostId: hostId };
    const body = Object.entries(elements)
      .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
      .join('');
    return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${body}</Error>`;
  }
}

export function preconditionFailed(condition: 'If-Match' | 'If-None-Match'): S3ServiceError {
  return new S3ServiceError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, {
    Condition: condition,
  });
}

export function noSuchKey(key: string): S3ServiceError {
  return new S3ServiceError('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
}

export function noSuchBucket(bucket: string): S3ServiceError {
  return new S3ServiceError('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
}

export function invalidArgument(message: string, name: string, value: string): S3ServiceError {
  return new S3ServiceError('InvalidArgument', message, 400, { ArgumentName: name, ArgumentValue: value });
}

export function notImplemented(header: string): S3ServiceError {
  return new S3ServiceError(
    'NotImplemented',
    'A header you provided implies functionality that is not implemented',
    501,
    { Header: header },
  );
}
