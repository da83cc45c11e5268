/** Sign-in for humans: POST /v1/auth/login → a session token (and cookie), logout, who am I. */
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { Problem } from '../http/problem.ts';
import { reply, type Api } from '../http/route.ts';
import { presentedCredential } from './authorize.ts';
import { isSessionToken, login, revokeSession, SESSION_COOKIE } from './sessions.ts';
import { HUMAN_ROLES, User } from './users.ts';

const LoginBody = z
  .object({ name: z.string().min(1).max(200), password: z.string().min(1).max(1024) })
  .meta({ id: 'LoginRequest' });
const Session = z.object({ token: z.string(), expiresAt: z.string(), user: User }).meta({ id: 'Session' });
const Me = z
  .object({ kind: z.literal('human'), id: z.string(), name: z.string(), roles: z.array(z.string()) })
  .meta({ id: 'Me' });

export const loginFailed = () =>
  new Problem({
    status: 401,
    code: 'login_failed',
    title: 'Login failed',
    detail: 'Unknown user, wrong password, or disabled account.',
  });

export interface LoginThrottle {
  /** Counts an attempt; throws a 429 Problem when this name or address tries too often. */
  check(name: string, ip: string): Promise<void>;
}

export function authRoutes(api: Api, ctx: AppContext, throttle?: LoginThrottle): void {
  api.add({
    method: 'post',
    path: '/v1/auth/login',
    summary: 'Sign in as a human; returns a session token (also set as a cookie)',
    tags: ['access'],
    access: { public: 'the sign-in itself; attempts are throttled per name and address' },
    body: LoginBody,
    responses: {
      200: { description: 'Signed in', schema: Session },
      401: { description: 'Unknown user, wrong password or disabled account (one answer for all)' },
      429: { description: 'Too many failed attempts' },
    },
    handler: async ({ body, req }) => {
      const ip = req.ip ?? 'unknown';
      await throttle?.check(body.name, ip);
      const s = await login(ctx.store, body.name, body.password, ctx.config.access.sessionTtlMs);
      if (!s) throw loginFailed();
      const maxAge = Math.floor((s.expiresAt.getTime() - Date.now()) / 1000);
      return reply({
        headers: {
          'Set-Cookie': `${SESSION_COOKIE}=${s.token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`,
          'Cache-Control': 'no-store',
        },
        body: { token: s.token, expiresAt: s.expiresAt.toISOString(), user: s.user },
      });
    },
  });

  api.add({
    method: 'post',
    path: '/v1/auth/logout',
    summary: 'End the presented session',
    tags: ['access'],
    access: { public: 'ends only the session it is given; needs no other right' },
    responses: { 204: { description: 'Signed out (also when there was no session)' } },
    handler: async ({ req }) => {
      const token = presentedCredential(req);
      if (token && isSessionToken(token)) {
        await revokeSession(ctx.store, token);
        ctx.services.sessions?.clear();
      }
      return reply({
        status: 204,
        headers: { 'Set-Cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` },
      });
    },
  });

  api.add({
    method: 'get',
    path: '/v1/auth/session',
    summary: 'Who is signed in',
    tags: ['access'],
    access: { roles: HUMAN_ROLES },
    responses: { 200: { description: 'The signed-in human', schema: Me } },
    handler: ({ principal }) => ({
      kind: 'human' as const,
      id: principal!.id,
      name: principal!.name,
      roles: [...principal!.roles],
    }),
  });
}
