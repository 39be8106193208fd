/**
 * The label rules a series must keep to be accepted by remote-write receivers: Prometheus' own
 * (valid names, non-empty values, sorted by name, no duplicates, a valid `__name__`), valid UTF-8,
 * and the default size limits of Mimir and Cortex, the strictest common receivers.
 */
import { labelSetProblem, type Label } from '../segment/labels.js';

export const maxLabelNameLength = 1024;
export const maxLabelValueLength = 2048;
export const maxLabelsPerSeries = 30;

/** Why a label set cannot be sent, or undefined when it can. */
export function remoteWriteLabelProblem(labels: readonly Label[]): string | undefined {
  const problem = labelSetProblem(labels);
  if (problem !== undefined) return problem;
  if (labels.length > maxLabelsPerSeries) return `${labels.length} labels, more than the ${maxLabelsPerSeries} receivers accept`;
  for (const { name, value } of labels) {
    if (name.length > maxLabelNameLength) return `label name ${name.slice(0, 40)}… is longer than ${maxLabelNameLength} characters`;
    if (!isWellFormedUtf16(value)) return `label ${name} has a value that is not valid UTF-8 (a lone surrogate)`;
    if (Buffer.byteLength(value, 'utf8') > maxLabelValueLength) return `label ${name} has a value longer than ${maxLabelValueLength} bytes`;
  }
  return undefined;
}

// A lone surrogate has no UTF-8 encoding: TextEncoder would silently replace it with U+FFFD.
function isWellFormedUtf16(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;
    }
  }
  return true;
}
