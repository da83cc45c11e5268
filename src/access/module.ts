/**
 * The access area as the service loads it: the authorizer every route goes through (agent keys and
 * human sessions, kill switch, rate limits, page cap, audit hook), sign-in, and the admin routes.
 * It makes sure the audit service exists (initialising it when the audit module is not listed),
 * because every authenticated request is recorded.
 */
import type { AppContext, SeamModule } from '../context.ts';
import { initAudit, registerAuditRoutes, stopAudit } from '../audit/module.ts';
import { keyResolver, type KeyResolver } from './authorize.ts';
import { onAccessChange } from './changes.ts';
import { gate, type AgentCheck } from './gate.ts';
import { KillSwitch } from './killswitch.ts';
import { LeasedBuckets, rateLimited, take } from './ratelimit.ts';
import { adminRoutes } from './routes.admin.ts';
import { authRoutes, type LoginThrottle } from './routes.auth.ts';
import { sessionResolver, type SessionResolver } from './sessions.ts';

declare module '../context.ts' {
  interface Services {
    keys: KeyResolver;
    sessions: SessionResolver;
    killSwitch: KillSwitch;
  }
}

/** Sign-in attempts per minute per user name, and per client address. */
const LOGIN_PER_NAME = 10;
const LOGIN_PER_ADDRESS = 60;

/** Contexts where access created the audit service itself (and so registers and stops it). */
const ownsAudit = new WeakSet<AppContext>();

function rateLimits(ctx: AppContext): AgentCheck {
  const { rateLimitPerMinute, globalRateLimitPerMinute } = ctx.config.access;
  const buckets = new LeasedBuckets(ctx.store);
  return async (p) => {
    const v = await buckets.take([
      { bucket: `key:${p.id}`, perMinute: p.rateLimitPerMinute ?? rateLimitPerMinute },
      { bucket: 'agents:*', perMinute: globalRateLimitPerMinute },
    ]);
    if (!v.allowed)
      throw rateLimited(
        v.retryAfterSeconds,
        v.bucket === 'agents:*'
          ? 'All agents together are over the global request rate.'
          : 'This key is over its request rate.',
      );
  };
}

function loginThrottle(ctx: AppContext): LoginThrottle {
  return {
    async check(name, ip) {
      const v = await take(ctx.store, [
        { bucket: `login-name:${name.toLowerCase()}`, perMinute: LOGIN_PER_NAME },
        { bucket: `login-ip:${ip}`, perMinute: LOGIN_PER_ADDRESS },
      ]);
      if (!v.allowed)
        throw rateLimited(v.retryAfterSeconds, 'Too many sign-in attempts; wait and try again.');
    },
  };
}

/** Each service's subscription to credential changes (./changes.ts). */
const unlisten = new WeakMap<AppContext, () => Promise<void>>();

export const accessModule: SeamModule = {
  name: 'access',
  init(ctx) {
    if (!ctx.services.audit) ownsAudit.add(ctx);
    const audit = initAudit(ctx);
    const keys = keyResolver(ctx.store);
    const sessions = sessionResolver(ctx.store);
    const killSwitch = new KillSwitch(ctx.store);
    ctx.services.keys = keys;
    ctx.services.sessions = sessions;
    ctx.services.killSwitch = killSwitch;
    ctx.authorize = gate({
      keys,
      sessions,
      maxPageSize: ctx.config.access.maxPageSize,
      agentChecks: [(p) => killSwitch.check(p), rateLimits(ctx)],
      onDecision: (req, principal, decision) => audit.trackRequest(req, principal, decision),
    });
  },
  routes(api, ctx) {
    authRoutes(api, ctx, loginThrottle(ctx));
    adminRoutes(api, ctx);
    registerAuditRoutes(api, ctx);
  },
  async start(ctx) {
    await ctx.services.killSwitch?.start();
    const { keys, sessions } = ctx.services;
    unlisten.set(
      ctx,
      await onAccessChange(ctx.store, () => {
        keys?.clear();
        sessions?.clear();
      }),
    );
  },
  async stop(ctx) {
    await unlisten.get(ctx)?.();
    unlisten.delete(ctx);
    await ctx.services.killSwitch?.stop();
    if (ownsAudit.has(ctx)) await stopAudit(ctx);
  },
};
