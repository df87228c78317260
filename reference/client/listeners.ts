// A minimal listener set: add returns its own remover, and one throwing
// listener neither stops the others nor disturbs the socket callback that
// emitted (its error is rethrown asynchronously, so it is still reported).

export type Unsubscribe = () => void;

export class Listeners<Args extends unknown[]> {
  private readonly set = new Set<(...args: Args) => unknown>();

  add(listener: (...args: Args) => unknown): Unsubscribe {
    // Wrapped so the same function may be added twice and removed once each.
    const entry = (...args: Args) => listener(...args);
    this.set.add(entry);
    return () => {
      this.set.delete(entry);
    };
  }

  get size(): number {
    return this.set.size;
  }

  emit(...args: Args): void {
    for (const listener of [...this.set]) {
      try {
        const result = listener(...args);
        // An async listener's rejection is reported like a synchronous throw.
        if (result instanceof Promise) result.catch(rethrowLater);
      } catch (e) {
        rethrowLater(e);
      }
    }
  }
}

function rethrowLater(e: unknown): void {
  queueMicrotask(() => {
    throw e;
  });
}
