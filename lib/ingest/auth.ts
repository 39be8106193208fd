/**
 * Who is pushing: the tenant from `X-Scope-OrgID` and, when API keys are configured, the key that
 * proves it. Keys arrive as `Authorization: Bearer <key>` or as the password of
 * `Authorization: Basic` (the user name is ignored), which covers Prometheus' `authorization` and
 * `basic_auth` and Pyroscope SDKs' `authToken` and `basicAuthPassword`. Keys are compared in
 * constant time and never logged or echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { defaultTenant, tenantProblem } from '../segment/keys.js';
import type { ApiKeyStore } from './contract.js';
import { IngestConfigError, InvalidTenantError, UnauthorizedError } from './errors.js';

export const tenantHeader = 'x-scope-orgid';

/** The request's tenant: the header, or `anonymous` when it is absent. Throws InvalidTenantError (400). */
export function tenantOf(headers: Readonly<Record<string, string>>): string {
  const value = headers[tenantHeader];
  const tenant = value === undefined ? defaultTenant : value.trim();
  const problem = tenantProblem(tenant);
  // The offending value is not echoed: it may be anything a client put in a header.
  if (problem !== undefined) throw new InvalidTenantError(`invalid X-Scope-OrgID: ${problem}`);
  return tenant;
}

/** Throws UnauthorizedError (401) unless the request carries one of the tenant's keys. */
export async function authenticate(headers: Readonly<Record<string, string>>, tenant: string, store: ApiKeyStore | undefined): Promise<void> {
  if (store === undefined) return;
  const presented = presentedKey(headers['authorization']);
  if (presented === undefined) {
    throw new UnauthorizedError('an API key is required: send "Authorization: Bearer <key>"', { tenant });
  }
  const accepted = await store.keysFor(tenant);
  const presentedDigest = digest(presented);
  let match = false;
  // Every key is compared, so the time taken does not say which one (or whether any) matched.
  for (const key of accepted) match = timingSafeEqual(presentedDigest, digest(key)) || match;
  if (!match) throw new UnauthorizedError(`the API key is not valid for tenant ${tenant}`, { tenant });
}

function presentedKey(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const [scheme = '', ...rest] = authorization.trim().split(/\s+/);
  const credentials = rest.join(' ');
  if (credentials === '') return undefined;
  if (scheme.toLowerCase() === 'bearer') return credentials;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    return password === '' ? undefined : password;
  }
  return undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Keys from a JSON object `{"tenant": "key" | ["key", ...]}` (the STRATA_API_KEYS variable). A tenant
 * that is not listed gets no key, so it cannot push. Errors name the variable, never its content.
 */
export function staticApiKeys(json: string, source = 'API keys'): ApiKeyStore {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new IngestConfigError(`${source} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new IngestConfigError(`${source} must be a JSON object mapping tenant ids to a key or a list of keys`);
  }
  const keys = new Map<string, readonly string[]>();
  for (const [tenant, value] of Object.entries(parsed)) {
    const problem = tenantProblem(tenant);
    if (problem !== undefined) throw new IngestConfigError(`${source}: ${problem} (tenant ${JSON.stringify(tenant)})`);
    const list: unknown[] = Array.isArray(value) ? value : [value];
    if (list.length === 0 || !list.every((key): key is string => typeof key === 'string' && key.length > 0)) {
      throw new IngestConfigError(`${source}: tenant ${tenant} must map to a non-empty key or list of non-empty keys`);
    }
    keys.set(tenant, list);
  }
  return { keysFor: async (tenant) => keys.get(tenant) ?? [] };
}
