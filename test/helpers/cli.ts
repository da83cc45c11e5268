/** Run the `seam` program inside the test process: the same code as the binary, without a process start. */
import { output } from '../../src/cli/admin.ts';
import { main } from '../../src/cli/index.ts';

/** The same program in this process (this test file runs in its own process, so env is ours). */
export async function inProcess(args: string[], env: Record<string, string>) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  if (!env.DATABASE_URL) delete process.env.DATABASE_URL;
  // Only the program's own output sink is swapped: the test runner talks over process.stdout.
  const out: string[] = [];
  const err: string[] = [];
  const write = output.write;
  const consoleError = console.error;
  output.write = (text: string) => out.push(text) > 0;
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  process.exitCode = undefined;
  try {
    await main(['node', 'seam', ...args]);
  } finally {
    output.write = write;
    console.error = consoleError;
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout: out.join(''), stderr: err.join('') };
}
