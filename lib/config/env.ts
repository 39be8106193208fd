/**
 * Reading settings from a function's environment: one set of parsers, each failing with the
 * caller's own error type and a message that names the variable. An unset or blank variable is
 * `undefined`, so callers write their defaults as `?? value`.
 */
import type { Env } from '../aws/clients.js';
import { isLogLevel, type LogLevel } from '../log/logger.js';

export interface EnvSettings {
  /** The trimmed value, or undefined when unset or blank. */
  text(name: string): string | undefined;
  required(name: string): string;
  positiveInteger(name: string): number | undefined;
  /** Seconds, fractions allowed, as whole milliseconds. */
  secondsAsMs(name: string): number | undefined;
  /** true/1 or false/0. */
  boolean(name: string): boolean | undefined;
  /** debug, info, warn or error. */
  logLevel(name: string): LogLevel | undefined;
}

export function envSettings(env: Env, fail: (message: string) => Error): EnvSettings {
  const text = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  return {
    text,
    required(name) {
      const value = text(name);
      if (value === undefined) throw fail(`${name} is not set`);
      return value;
    },
    positiveInteger(name) {
      const value = text(name);
      if (value === undefined) return undefined;
      const number = Number(value);
      if (!Number.isSafeInteger(number) || number < 1) throw fail(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
      return number;
    },
    secondsAsMs(name) {
      const value = text(name);
      if (value === undefined) return undefined;
      const number = Number(value);
      if (!Number.isFinite(number) || number < 0) throw fail(`${name} must be a non-negative number of seconds, got ${JSON.stringify(value)}`);
      return Math.round(number * 1000);
    },
    boolean(name) {
      const value = text(name)?.toLowerCase();
      if (value === undefined) return undefined;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      throw fail(`${name} must be true or false, got ${JSON.stringify(value)}`);
    },
    logLevel(name) {
      const value = text(name);
      if (value === undefined) return undefined;
      if (!isLogLevel(value)) throw fail(`${name} must be debug, info, warn or error, got ${JSON.stringify(value)}`);
      return value;
    },
  };
}
