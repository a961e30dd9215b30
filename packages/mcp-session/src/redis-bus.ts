import type { Redis } from 'ioredis'
import type { MessageBus } from './bus.ts'

/**
 * The message bus on Redis pub/sub: one connection publishes, a second one (in subscriber mode)
 * listens to the topics some listener here wants. Redis resubscribes by itself after a
 * reconnection; what was published meanwhile is lost, which is why streams are logged.
 */
export class RedisMessageBus implements MessageBus {
  readonly #publisher: Redis
  readonly #subscriber: Redis
  readonly #prefix: string
  readonly #topics = new Map<string, Set<(payload: string) => void>>()
  /** Channels being subscribed: a second listener waits until delivery works for it too. */
  readonly #subscribing = new Map<string, Promise<unknown>>()

  /**
   * `onError` hears what a listener throws: this runs inside ioredis's event emitter, where an
   * exception would end the process, so none gets out.
   */
  constructor (publisher: Redis, subscriber: Redis, prefix = 'mcp:', onError: (error: Error) => void = () => {}) {
    this.#publisher = publisher
    this.#subscriber = subscriber
    this.#prefix = prefix
    subscriber.on('message', (channel: string, payload: string) => {
      for (const listener of this.#topics.get(channel) ?? []) {
        try {
          listener(payload)
        } catch (error) {
          onError(error instanceof Error ? error : new Error(String(error)))
        }
      }
    })
  }

  async publish (topic: string, payload: string): Promise<void> {
    await this.#publisher.publish(this.#prefix + topic, payload)
  }

  async subscribe (topic: string, listener: (payload: string) => void): Promise<() => Promise<void>> {
    const channel = this.#prefix + topic
    let listeners = this.#topics.get(channel)
    if (listeners === undefined) {
      listeners = new Set()
      this.#topics.set(channel, listeners)
    }
    const first = listeners.size === 0
    listeners.add(listener)
    if (first) {
      const subscribing = this.#subscriber.subscribe(channel)
      this.#subscribing.set(channel, subscribing)
      try {
        await subscribing
      } catch (error) {
        this.#topics.delete(channel)
        throw error
      } finally {
        this.#subscribing.delete(channel)
      }
    } else {
      await this.#subscribing.get(channel)
    }
    return async () => {
      if (!listeners.delete(listener) || listeners.size > 0 || this.#topics.get(channel) !== listeners) return
      this.#topics.delete(channel)
      await this.#subscriber.unsubscribe(channel).catch(() => {})
    }
  }

  async close (): Promise<void> {
    this.#topics.clear()
  }
}
