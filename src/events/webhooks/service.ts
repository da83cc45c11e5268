/** What the webhook routes call: register (URL checked), list, show, resume, delete, deliveries. */
import type { Principal } from '../../access/types.ts';
import { forbidden } from '../../access/authorize.ts';
import { problems } from '../../http/problem.ts';
import type { Store } from '../../store/types.ts';
import { EventsGone, logBounds } from '../read.ts';
import {
  deleteSubscription,
  deliveryFromDb,
  insertSubscription,
  listSubscriptions,
  ownedSubscription,
  recentDeliveries,
  resumeSubscription,
  subscriptionFromDb,
  type CreateSubscription,
  type Delivery,
  type Subscription,
} from './subscriptions.ts';
import type { WebhookTargets } from './targets.ts';
import type { WebhookWorker } from './worker.ts';

/** Subscriptions one agent key may hold: each costs a claim per new event. */
export const MAX_SUBSCRIPTIONS_PER_KEY = 25;

export class Webhooks {
  constructor(
    private readonly store: Store,
    private readonly targets: WebhookTargets,
    private readonly worker: WebhookWorker | undefined,
  ) {}

  private owner(principal: Principal | undefined): Principal {
    // Deliveries are redacted with the registering key's scopes; only agent keys have them.
    if (!principal || principal.kind !== 'agent')
      throw forbidden('Webhooks are registered with an agent key.');
    return principal;
  }

  async create(
    principal: Principal | undefined,
    input: CreateSubscription,
  ): Promise<Subscription & { secret: string }> {
    const owner = this.owner(principal);
    const url = await this.targets.check(input.url);
    if (input.after !== undefined) {
      const { head, oldest } = await logBounds(this.store);
      if (input.after < oldest - 1) throw new EventsGone(input.after, oldest, head);
    }
    const existing = await listSubscriptions(this.store, owner.id);
    if (existing.length >= MAX_SUBSCRIPTIONS_PER_KEY)
      throw problems.badRequest(`An agent key may hold at most ${MAX_SUBSCRIPTIONS_PER_KEY} webhooks.`);
    const { row, secret } = await insertSubscription(this.store, owner, input, url.toString());
    this.worker?.kick();
    return { ...subscriptionFromDb(row), secret };
  }

  async list(principal: Principal | undefined): Promise<Subscription[]> {
    return (await listSubscriptions(this.store, this.owner(principal).id)).map(subscriptionFromDb);
  }

  async get(principal: Principal | undefined, id: string): Promise<Subscription> {
    const row = await ownedSubscription(this.store, this.owner(principal).id, id);
    if (!row) throw problems.notFound(`No webhook ${id} for this key.`);
    return subscriptionFromDb(row);
  }

  async deliveries(principal: Principal | undefined, id: string, limit: number): Promise<Delivery[]> {
    await this.get(principal, id);
    return (await recentDeliveries(this.store, id, limit)).map(deliveryFromDb);
  }

  async resume(principal: Principal | undefined, id: string): Promise<Subscription> {
    const row = await resumeSubscription(this.store, this.owner(principal).id, id);
    if (!row) throw problems.notFound(`No webhook ${id} for this key.`);
    this.worker?.kick();
    return subscriptionFromDb(row);
  }

  async remove(principal: Principal | undefined, id: string): Promise<void> {
    if (!(await deleteSubscription(this.store, this.owner(principal).id, id)))
      throw problems.notFound(`No webhook ${id} for this key.`);
  }
}
