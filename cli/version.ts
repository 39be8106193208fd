/** Strata's version, from package.json, for created-by headers and User-Agent strings. */
import { readFileSync } from 'node:fs';

export const strataVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
