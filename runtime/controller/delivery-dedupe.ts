/**
 * Remembers recent webhook delivery ids so a redelivered (or duplicated) webhook is applied
 * once. Bounded: the oldest ids are forgotten first. Applying a webhook is idempotent anyway;
 * this keeps the counters honest and the work down.
 */
export class DeliveryDedupe {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  /** True the first time an id is offered. */
  firstTime(deliveryId: string): boolean {
    if (this.seen.has(deliveryId)) return false;
    this.seen.add(deliveryId);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value!);
    return true;
  }
}
