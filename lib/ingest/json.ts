/**
 * `POST /v1/samples`: the samples JSON text form shared with `strata segment build`
 * (lib/segment/json.ts: a JSON array of records or NDJSON, one record per line), as an ingest
 * endpoint. This module only checks the encoding and maps the parser's errors to 400s.
 */
import type { Series } from '../segment/format.js';
import { SampleJsonError, SampleJsonSyntaxError, parseSampleJson } from '../segment/json.js';
import { CorruptPayloadError, InvalidSeriesDataError } from './errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseJsonSamples(body: Uint8Array): Series[] {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (cause) {
    throw new CorruptPayloadError('json', 'the body is not valid UTF-8', { cause });
  }
  try {
    return parseSampleJson(text);
  } catch (error) {
    if (!(error instanceof SampleJsonError)) throw error;
    if (error instanceof SampleJsonSyntaxError) throw new CorruptPayloadError('json', error.message, { cause: error });
    throw new InvalidSeriesDataError(`samples JSON: ${error.message}`, { cause: error });
  }
}
