/**
 * Carries messages between the nodes that serve one set of sessions: to the node that holds a
 * stream's connection, and to every node at once for notifications about the server itself.
 * In one process it is a plain dispatch; a shared bus (Redis pub/sub) spans processes.
 */
export interface MessageBus {
  publish (topic: string, payload: string): Promise<void>
  /** Resolves once messages on `topic` will be delivered; returns the way to stop. */
  subscribe (topic: string, listener: (payload: string) => void): Promise<() => Promise<void>>
  close (): Promise<void>
}

export class MemoryMessageBus implements MessageBus {
  readonly #topics = new Map<string, Set<(payload: string) => void>>()

  async publish (topic: string, payload: string): Promise<void> {
    for (const listener of this.#topics.get(topic) ?? []) listener(payload)
  }

  async subscribe (topic: string, listener: (payload: string) => void): Promise<() => Promise<void>> {
    let listeners = this.#topics.get(topic)
    if (listeners === undefined) {
      listeners = new Set()
      this.#topics.set(topic, listeners)
    }
    listeners.add(listener)
    return async () => {
      listeners.delete(listener)
      if (listeners.size === 0) this.#topics.delete(topic)
    }
  }

  async close (): Promise<void> {
    this.#topics.clear()
  }
}
