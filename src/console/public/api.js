/* global URLSearchParams */
/**
 * Calls to seam's REST API with the signed-in human's session cookie (HttpOnly, SameSite=Strict:
 * the page never sees the token). Errors come back as problem+json; ApiError carries its words.
 */

export class ApiError extends Error {
  constructor(status, body) {
    const detail = body && typeof body === 'object' ? body.detail || body.title : undefined;
    super(detail || `The server answered ${status}.`);
    this.status = status;
    this.code = body && typeof body === 'object' ? body.code : undefined;
    this.body = body;
  }
}

/** Set by the app: what to do when the session has ended (401 on a data call). */
let onSignedOut = () => undefined;
export function whenSignedOut(fn) {
  onSignedOut = fn;
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, { title: 'seam cannot be reached. Check your connection and try again.' });
  }
  if (res.status === 204) return undefined;
  const type = res.headers.get('content-type') || '';
  const data = type.includes('json') ? await res.json().catch(() => undefined) : await res.text();
  if (res.status === 401 && path !== '/v1/auth/login' && path !== '/v1/auth/session') onSignedOut();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);

/** Build a query string from the non-empty values of an object. */
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
