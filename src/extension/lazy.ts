// A service created on first use (e.g. the worker process), so activation stays cheap and loads nothing heavy.
import type * as vscode from 'vscode';

export class Lazy<T extends vscode.Disposable> implements vscode.Disposable {
  private pending: Promise<T> | undefined;
  private disposed = false;

  constructor(private readonly create: () => Promise<T>) {}

  /** True once creation has started. */
  get started(): boolean {
    return this.pending !== undefined;
  }

  /** The service, created by the first call; a failed creation is forgotten so the next call retries. */
  get(): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('DyNN Lens is shutting down'));
    if (!this.pending) {
      const p = this.create();
      this.pending = p;
      p.catch(() => {
        if (this.pending === p) this.pending = undefined;
      });
    }
    return this.pending;
  }

  /** Disposes the current service (if any); the next `get` creates a fresh one (e.g. with a new environment). */
  reset(): void {
    const p = this.pending;
    this.pending = undefined;
    void p?.then(
      (service) => {
        service.dispose();
      },
      () => undefined,
    );
  }

  dispose(): void {
    this.disposed = true;
    this.reset();
  }
}
