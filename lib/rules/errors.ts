/**
 * Errors of recording rules: a rules file that cannot be used (every problem listed, each naming
 * the tenant, the rule and, when known, the line), a snapshot that is missing or does not match its
 * hash, and series handed to the evaluator out of order.
 */

export class RulesError extends Error {
  override name = 'RulesError';
}

/** The rules file cannot be read or parsed (I/O, YAML syntax). */
export class RulesFileError extends RulesError {
  override name = 'RulesFileError';
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${message}`, options);
  }
}

export interface RuleProblem {
  /** `tenants.<tenant>` or `default`, or undefined for the file as a whole. */
  section?: string;
  /** The rule's id, or `#<n>` (1-based) when it has none. */
  rule?: string;
  /** 1-based line in the file, when known. */
  line?: number;
  message: string;
}

/** The file parses but breaks the rules' rules. `problems` lists all of them, not just the first. */
export class RulesValidationError extends RulesError {
  override name = 'RulesValidationError';
  constructor(
    readonly source: string,
    readonly problems: readonly RuleProblem[],
  ) {
    const lines = problems.slice(0, 20).map((p) => `  ${formatProblem(source, p)}`);
    if (problems.length > 20) lines.push(`  … and ${problems.length - 20} more`);
    super(`${source}: ${problems.length} problem(s) in the rules:\n${lines.join('\n')}`);
  }
}

export function formatProblem(source: string, problem: RuleProblem): string {
  const where = [problem.section, problem.rule === undefined ? undefined : `rule ${problem.rule}`].filter((x) => x !== undefined).join(', ');
  const line = problem.line === undefined ? '' : `${source}:${problem.line}: `;
  return `${line}${where === '' ? '' : `${where}: `}${problem.message}`;
}

/** A job's rules snapshot cannot be loaded: the job cannot be evaluated and must not be committed without it. */
export class RulesSnapshotError extends RulesError {
  override name = 'RulesSnapshotError';
  constructor(
    readonly tenant: string,
    readonly hash: string,
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`rules snapshot ${hash} of tenant ${tenant} (${key}): ${message}`, options);
  }
}

/** The evaluator was given series out of label order or samples out of time order: a caller bug. */
export class RulesEvaluationError extends RulesError {
  override name = 'RulesEvaluationError';
}
