/**
 * Structured JSON logging. `lib/` code takes a Logger argument; `functions/` and the CLI create one.
 * Field names follow the data: tenant, shard, segmentKey, jobId, blockKey, ruleId.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line. */
  child(fields: LogFields): Logger;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(value: string): value is LogLevel {
  return value in levelRank;
}

/** One JSON object per line: {"level","time","message",...fields}. Errors are reduced to name/message/cause. */
export function jsonLogger(options: { level?: LogLevel; write?: (line: string) => void; fields?: LogFields } = {}): Logger {
  const minimum = levelRank[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const base = options.fields ?? {};
  const emit = (level: LogLevel) => (message: string, fields: LogFields = {}) => {
    if (levelRank[level] < minimum) return;
    const head = { level, time: new Date().toISOString(), message };
    // The head is written last as well, so that a field named like it cannot overwrite it.
    write(JSON.stringify(Object.assign({}, head, base, fields, head), replaceErrors));
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => jsonLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

function replaceErrors(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...(value.cause === undefined ? {} : { cause: value.cause }) };
  }
  return value;
}
