/**
 * A list of things to release together. Anything added after the list was
 * disposed is disposed at once, so a registration that races deactivation
 * (an async start finishing late) cannot leak.
 */

/** Anything with `dispose()`, including `vscode.Disposable`. */
export interface DisposableLike {
  dispose(): unknown;
}

/** Disposes everything added to it, last added first, exactly once. */
export class DisposableStore implements DisposableLike {
  private readonly items: DisposableLike[] = [];
  private disposed = false;

  /** True once {@link dispose} ran. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Adds `item` and returns it; disposes it immediately when the store is already disposed. */
  add<T extends DisposableLike>(item: T): T {
    if (this.disposed) item.dispose();
    else this.items.push(item);
    return item;
  }

  /** Adds a plain function as a disposable. */
  addCallback(callback: () => unknown): void {
    this.add({ dispose: callback });
  }

  /** Disposes every item; one item throwing does not keep the others alive. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    while (this.items.length > 0) {
      try {
        this.items.pop()!.dispose();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} disposables failed`);
  }
}
