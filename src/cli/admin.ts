/** Helpers for the admin commands (keys, users, kill, audit): who acts, stdin, lists, errors. */
import os from 'node:os';
import { ZodError } from 'zod';
import type { Actor } from '../audit/types.ts';
import { Problem } from '../http/problem.ts';
import { CliError, EXIT } from './index.ts';

/** The CLI acts as the operating-system user running it; the audit trail records that name. */
export function cliActor(): Actor {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return { kind: 'system', id: 'cli', name: `cli:${user}` };
}

export function splitList(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** All of stdin, without the final newline (passwords are never taken from arguments). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `2026-12-31` or an ISO time → Date; a usage error otherwise. */
export function parseDate(s: string, option: string): Date {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  if (Number.isNaN(d.getTime())) throw new CliError(`${option}: not a date: ${s}`, EXIT.usage);
  return d;
}

/** `90s`, `30m`, `24h`, `7d` (or plain seconds) → milliseconds. */
export function parseDuration(s: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)?$/.exec(s.trim());
  if (!m) throw new CliError(`${option}: not a duration (like 30m, 24h, 7d): ${s}`, EXIT.usage);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 's'];
  return Math.round(Number(m[1]) * unit);
}

/** Turn area errors into one-line CLI errors: validation → usage (2), refusals → failed (1). */
export async function cliRun<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ZodError)
      throw new CliError(
        err.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '),
        EXIT.usage,
      );
    if (err instanceof Problem) throw new CliError(`${err.title}${err.detail ? `: ${err.detail}` : ''}`);
    throw err;
  }
}

/** Where the admin commands print; tests running the program in-process swap `write`. */
export const output = {
  write(text: string): boolean {
    return process.stdout.write(text);
  },
};

export function printJson(v: unknown): void {
  output.write(JSON.stringify(v) + '\n');
}
