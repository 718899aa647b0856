/** A minimal event emitter shaped like VS Code's (`event(listener)` returns a disposable), without importing it. */
export class Emitter<T> {
  private listeners = new Set<(value: T) => void>();

  readonly event = (listener: (value: T) => void): { dispose(): void } => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch {
        // one failing listener must not starve the others
      }
    }
  }
}
