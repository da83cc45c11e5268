/** Comparing a record with a proposal's expected state, field by field. */
import { canonicalJson } from '../records/repo.ts';
import { decimal, isDecimal } from './decimal.ts';
import type { Difference } from './types.ts';

/** Equal as the business means it: decimals by value ("5000" = "5000.00"), everything else exactly. */
export function equalValues(expected: unknown, actual: unknown): boolean {
  if (isDecimal(expected) && isDecimal(actual)) return decimal.eq(expected, actual);
  if (typeof expected === 'number' && isDecimal(actual)) return decimal.eq(String(expected), actual);
  if (typeof actual === 'number' && isDecimal(expected)) return decimal.eq(expected, String(actual));
  return canonicalJson(expected ?? null) === canonicalJson(actual ?? null);
}

/** The expected fields the record does not show (empty when it matches). */
export function differences(
  expected: Record<string, unknown>,
  record: Record<string, unknown>,
): Difference[] {
  return Object.entries(expected)
    .filter(([field, v]) => !equalValues(v, record[field]))
    .map(([field, v]) => ({ field, expected: v, actual: record[field] ?? null }));
}
