/**
 * Remote-write and export settings from the environment (passed in, never read from process.env
 * here). Unset STRATA_REMOTE_WRITE_URL means "no export": records are still written, not sent.
 *
 *   STRATA_REMOTE_WRITE_URL              endpoint, e.g. http://prometheus:9090/api/v1/write
 *   STRATA_REMOTE_WRITE_TENANT_MODE      header (default) | label | none (one tenant per endpoint only:
 *                                        two tenants' series would collide)
 *   STRATA_REMOTE_WRITE_TENANT_HEADER    header for mode=header (default X-Scope-OrgID)
 *   STRATA_REMOTE_WRITE_TENANT_LABEL     label for mode=label (default strata_tenant)
 *   STRATA_REMOTE_WRITE_BEARER_TOKEN     bearer auth, or
 *   STRATA_REMOTE_WRITE_USERNAME / _PASSWORD   basic auth, or
 *   STRATA_REMOTE_WRITE_SECRET_ARN       a Secrets Manager secret holding either (read at run time)
 *   STRATA_REMOTE_WRITE_TIMEOUT_MS       per attempt (default 10000)
 *   STRATA_REMOTE_WRITE_MAX_RETRY_MS     retry budget per request (default 30000)
 *   STRATA_SELF_METRICS                  true (default) | false: pipeline counters beside rule series
 */
import type { Env } from '../aws/clients.js';
import { isValidLabelName } from '../segment/labels.js';
import { noCredentials, secretCredentials, staticCredentials, type CredentialsProvider, type SecretReader } from './auth.js';
import { defaultTenantHeader, type RemoteWriteClientOptions } from './client.js';
import { RemoteWriteConfigError } from './errors.js';
import { envSettings } from '../config/env.js';


/** How the receiver learns the tenant of a series. */
export type TenantRouting = { mode: 'header'; header: string } | { mode: 'label'; label: string } | { mode: 'none' };

export const defaultTenantLabel = 'strata_tenant';

export interface RemoteWriteConfig {
  client: RemoteWriteClientOptions;
  tenantRouting: TenantRouting;
  selfMetrics: boolean;
}

/** The configuration, or undefined when no endpoint is set. Throws RemoteWriteConfigError naming the variable. */
export function remoteWriteConfigFromEnv(env: Env, deps: { readSecret?: SecretReader } = {}): RemoteWriteConfig | undefined {
  const settings = envSettings(env, (message) => new RemoteWriteConfigError(message));
  const url = settings.text('STRATA_REMOTE_WRITE_URL');
  if (url === undefined) return undefined;
  const tenantRouting = tenantRoutingFromEnv(env);
  return {
    client: {
      url,
      credentials: credentialsFromEnv(env, deps.readSecret),
      ...(tenantRouting.mode === 'header' ? { tenantHeader: tenantRouting.header } : {}),
      timeoutMs: settings.positiveInteger('STRATA_REMOTE_WRITE_TIMEOUT_MS') ?? 10_000,
      retry: { maxRetryTimeMs: settings.positiveInteger('STRATA_REMOTE_WRITE_MAX_RETRY_MS') ?? 30_000 },
    },
    tenantRouting,
    selfMetrics: settings.boolean('STRATA_SELF_METRICS') ?? true,
  };
}

function tenantRoutingFromEnv(env: Env): TenantRouting {
  const mode = env['STRATA_REMOTE_WRITE_TENANT_MODE']?.trim() || 'header';
  if (mode === 'header') {
    const header = env['STRATA_REMOTE_WRITE_TENANT_HEADER']?.trim() || defaultTenantHeader;
    if (!/^[A-Za-z0-9-]+$/.test(header)) throw new RemoteWriteConfigError('STRATA_REMOTE_WRITE_TENANT_HEADER is not a valid header name');
    return { mode, header };
  }
  if (mode === 'label') {
    const label = env['STRATA_REMOTE_WRITE_TENANT_LABEL']?.trim() || defaultTenantLabel;
    if (!isValidLabelName(label) || label.startsWith('__')) {
      throw new RemoteWriteConfigError('STRATA_REMOTE_WRITE_TENANT_LABEL is not a valid label name');
    }
    return { mode, label };
  }
  if (mode === 'none') return { mode };
  throw new RemoteWriteConfigError('STRATA_REMOTE_WRITE_TENANT_MODE must be header, label or none');
}

function credentialsFromEnv(env: Env, readSecret: SecretReader | undefined): CredentialsProvider {
  const arn = env['STRATA_REMOTE_WRITE_SECRET_ARN']?.trim();
  const token = env['STRATA_REMOTE_WRITE_BEARER_TOKEN'];
  const username = env['STRATA_REMOTE_WRITE_USERNAME'];
  const password = env['STRATA_REMOTE_WRITE_PASSWORD'];
  const given = [arn, token, username ?? password].filter((value) => value !== undefined && value !== '').length;
  if (given > 1) {
    throw new RemoteWriteConfigError('set only one of STRATA_REMOTE_WRITE_SECRET_ARN, STRATA_REMOTE_WRITE_BEARER_TOKEN and STRATA_REMOTE_WRITE_USERNAME/PASSWORD');
  }
  if (arn !== undefined && arn !== '') {
    if (readSecret === undefined) throw new RemoteWriteConfigError('STRATA_REMOTE_WRITE_SECRET_ARN is set but no secret reader was provided');
    return secretCredentials(arn, readSecret);
  }
  if (token !== undefined && token !== '') return staticCredentials({ type: 'bearer', token });
  if (username !== undefined && username !== '') {
    if (password === undefined) throw new RemoteWriteConfigError('STRATA_REMOTE_WRITE_USERNAME is set without STRATA_REMOTE_WRITE_PASSWORD');
    return staticCredentials({ type: 'basic', username, password });
  }
  if (password !== undefined && password !== '') throw new RemoteWriteConfigError('STRATA_REMOTE_WRITE_PASSWORD is set without STRATA_REMOTE_WRITE_USERNAME');
  return noCredentials;
}
