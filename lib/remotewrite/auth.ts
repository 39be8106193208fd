/**
 * Credentials for the remote-write endpoint: none, static (from the environment), or a Secrets
 * Manager secret read at run time through an injected reader and cached for a while, so a rotated
 * secret is picked up without a deploy.
 *
 * Secrets live only inside closures and in the Authorization header of a request being sent: they
 * are never fields of an object that could be logged, and errors name the secret's ARN, never its
 * content.
 */
// Injected (lib/aws/secrets.ts reads Secrets Manager), so this module never loads the SDK.
import type { SecretReader } from '../aws/secrets.js';
import { RemoteWriteConfigError } from './errors.js';

export type Credentials =
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string };

export interface CredentialsProvider {
  /** The current credentials, or undefined when the endpoint needs none. */
  get(): Promise<Credentials | undefined>;
  /** Forget any cached secret (after a 401/403), so the next `get` reads it again. */
  invalidate(): void;
  /** Where the credentials come from, safe to log: "none", "environment" or the secret's ARN. */
  readonly source: string;
}

export type { SecretReader };

export const noCredentials: CredentialsProvider = {
  get: async () => undefined,
  invalidate() {},
  source: 'none',
};

export function staticCredentials(credentials: Credentials, source = 'environment'): CredentialsProvider {
  return { get: async () => credentials, invalidate() {}, source };
}

export interface SecretCredentialsOptions {
  /** How long a read secret is used before it is read again. Default 5 minutes. */
  ttlMs?: number;
  clock?: () => number;
}

/**
 * Credentials from a secret whose value is JSON `{"bearer_token": "..."}` or
 * `{"username": "...", "password": "..."}`, or a plain string used as a bearer token.
 */
export function secretCredentials(secretId: string, readSecret: SecretReader, options: SecretCredentialsOptions = {}): CredentialsProvider {
  const ttlMs = options.ttlMs ?? 300_000;
  const clock = options.clock ?? Date.now;
  let cached: { credentials: Credentials; readAt: number } | undefined;
  let pending: Promise<Credentials> | undefined;
  return {
    source: secretId,
    invalidate() {
      cached = undefined;
    },
    async get() {
      if (cached !== undefined && clock() - cached.readAt < ttlMs) return cached.credentials;
      pending ??= (async () => {
        let text: string;
        try {
          text = await readSecret(secretId);
        } catch (cause) {
          throw new RemoteWriteConfigError(`cannot read the remote-write secret ${secretId}`, { cause });
        }
        return parseSecret(text, secretId);
      })().finally(() => {
        pending = undefined;
      });
      const credentials = await pending;
      cached = { credentials, readAt: clock() };
      return credentials;
    },
  };
}

/** Parses a secret's value; errors say what shape is expected, never what was found. */
export function parseSecret(text: string, source: string): Credentials {
  const trimmed = text.trim();
  if (trimmed === '') throw new RemoteWriteConfigError(`the remote-write secret ${source} is empty`);
  if (!trimmed.startsWith('{')) return { type: 'bearer', token: trimmed };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new RemoteWriteConfigError(`the remote-write secret ${source} starts with "{" but is not valid JSON`);
  }
  const fields = parsed as Record<string, unknown>;
  const token = fields['bearer_token'] ?? fields['token'];
  if (typeof token === 'string' && token !== '') return { type: 'bearer', token };
  const { username, password } = fields;
  if (typeof username === 'string' && username !== '' && typeof password === 'string') return { type: 'basic', username, password };
  throw new RemoteWriteConfigError(
    `the remote-write secret ${source} must be a token, or JSON {"bearer_token": "..."} or {"username": "...", "password": "..."}`,
  );
}

export function authorizationHeader(credentials: Credentials): string {
  if (credentials.type === 'bearer') return `Bearer ${credentials.token}`;
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}
