import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { Order, OrderOutcome, OrderService } from './services.js';
import { cloneData } from '../core/clone.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const RETURN_WINDOW_MS = 30 * DAY_MS;

/**
 * The demo shop's orders, in memory: one in each state, so every order dialog can be tried.
 * ORD-100001 processing · ORD-100002 shipped · ORD-100003 delivered (refund pending) · ORD-100004
 * delivered long ago · ORD-100005 cancelled (refund issued).
 */
export class DemoOrderService implements OrderService {
  private readonly orders = new Map<string, Order>();
  private returns = 0;

  constructor(private readonly clock: Clock = systemClock) {
    const now = clock.now();
    const order = (id: string, fields: Partial<Order> & Pick<Order, 'status'>): Order => ({
      id,
      items: [{ name: 'Trail Runner 2', quantity: 1 }],
      total: { amount: 89, currency: 'EUR' },
      placedAt: new Date(now - 3 * DAY_MS),
      address: 'Calle Mayor 1, 28013 Madrid',
      ...fields,
    });
    for (const each of [
      order('ORD-100001', {
        status: 'processing',
        items: [{ name: 'Summit Jacket', quantity: 1 }],
        total: { amount: 149, currency: 'EUR' },
      }),
      order('ORD-100002', {
        status: 'shipped',
        carrier: 'Correos Express',
        trackingNumber: 'CE123456789ES',
        trackingUrl: 'https://track.example.com/CE123456789ES',
        estimatedDelivery: new Date(now + 2 * DAY_MS),
      }),
      order('ORD-100003', {
        status: 'delivered',
        items: [{ name: 'Daypack 22', quantity: 2 }],
        total: { amount: 118, currency: 'EUR' },
        deliveredAt: new Date(now - 5 * DAY_MS),
        refund: { amount: 59, currency: 'EUR', status: 'pending' },
      }),
      order('ORD-100004', {
        status: 'delivered',
        items: [{ name: 'Base Camp Tent', quantity: 1 }],
        total: { amount: 229, currency: 'EUR' },
        placedAt: new Date(now - 60 * DAY_MS),
        deliveredAt: new Date(now - 55 * DAY_MS),
      }),
      order('ORD-100005', { status: 'cancelled', refund: { amount: 89, currency: 'EUR', status: 'issued' } }),
    ]) {
      this.orders.set(each.id, each);
    }
  }

  async find(orderId: string): Promise<Order | undefined> {
    const found = this.orders.get(orderId);
    if (!found) return undefined;
    return { ...cloneData(found), returnable: this.isReturnable(found) };
  }

  private isReturnable(order: Order): boolean {
    return (
      order.status === 'delivered' &&
      this.clock.now() - (order.deliveredAt?.getTime() ?? 0) <= RETURN_WINDOW_MS
    );
  }

  async requestReturn(orderId: string): Promise<OrderOutcome<{ returnId: string; carrier: string }>> {
    const order = this.orders.get(orderId);
    if (order?.status !== 'delivered') {
      return { ok: false, reason: order?.status === 'cancelled' ? 'cancelled' : 'not.delivered' };
    }
    if (!this.isReturnable(order)) return { ok: false, reason: 'return.window' };
    return {
      ok: true,
      value: { returnId: `RET-${String(++this.returns).padStart(6, '0')}`, carrier: 'Correos Express' },
    };
  }

  async cancel(orderId: string): Promise<OrderOutcome<Order>> {
    const order = this.orders.get(orderId);
    if (!order) return { ok: false, reason: 'cancelled' };
    if (order.status !== 'processing')
      return { ok: false, reason: order.status as 'shipped' | 'delivered' | 'cancelled' };
    order.status = 'cancelled';
    order.refund = { ...order.total, status: 'pending' };
    return { ok: true, value: structuredClone(order) };
  }

  async changeAddress(orderId: string, address: string): Promise<OrderOutcome<Order>> {
    const order = this.orders.get(orderId);
    if (!order) return { ok: false, reason: 'cancelled' };
    if (order.status !== 'processing')
      return { ok: false, reason: order.status as 'shipped' | 'delivered' | 'cancelled' };
    order.address = address;
    return { ok: true, value: structuredClone(order) };
  }
}
