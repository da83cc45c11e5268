/** Normalise anything thrown into an Error (graphile/worker's coerceError). */
export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  const e = new Error(typeof err === 'string' ? err : `Non-error thrown: ${safeString(err)}`);
  return e;
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
