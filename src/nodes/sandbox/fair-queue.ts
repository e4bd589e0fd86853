/**
 * Items waiting for a shared resource, queued per owner and taken round-robin by owner: an owner
 * with a hundred items waiting gets one turn, then every other waiting owner gets theirs. Within
 * one owner, first in, first out.
 */
export class FairQueue<T> {
  // A Map iterates in insertion order: an owner just served is re-inserted at the end.
  private readonly queues = new Map<string, T[]>();
  private count = 0;

  /** Items waiting, all owners together. */
  get size(): number {
    return this.count;
  }

  push(owner: string, item: T): void {
    const queue = this.queues.get(owner);
    if (queue) queue.push(item);
    else this.queues.set(owner, [item]);
    this.count++;
  }

  /** Takes `item` out (e.g. its job was cancelled while waiting); false when it was not waiting. */
  remove(owner: string, item: T): boolean {
    const queue = this.queues.get(owner);
    const at = queue?.indexOf(item) ?? -1;
    if (at < 0) return false;
    queue!.splice(at, 1);
    if (queue!.length === 0) this.queues.delete(owner);
    this.count--;
    return true;
  }

  /**
   * The next item of the first owner, in turn, that `eligible` accepts (e.g. one below its share of
   * the resource), taken off the queue; that owner's turn then moves to the back. Undefined when no
   * eligible owner has anything waiting.
   */
  shift(eligible: (owner: string) => boolean = () => true): T | undefined {
    for (const [owner, queue] of this.queues) {
      if (!eligible(owner)) continue;
      const item = queue.shift()!;
      this.queues.delete(owner);
      if (queue.length > 0) this.queues.set(owner, queue);
      this.count--;
      return item;
    }
    return undefined;
  }
}
