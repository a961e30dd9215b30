import { reportFailure } from '@mcp-fastify/mcp-protocol'
import type { MessageBus } from './bus.ts'
import { luaScript, type RedisClient } from './redis-connection.ts'

// On a cluster, ioredis sends a PUBLISH (it names no key) to any node, a different one each time;
// each node passes it on to the others on its own link, so two messages published in a row can
// arrive in either order. This script publishes the same way, but names the channel as its key,
// so every message of a channel goes through the node of the channel's slot: in order.
const PUBLISH_IN_ORDER = luaScript('return redis.call("PUBLISH", KEYS[1], ARGV[1])')

/**
 * The message bus on Redis pub/sub: one connection publishes, a second one (in subscriber mode)
 * listens to the topics some listener here wants. Redis resubscribes by itself after a
 * reconnection; what was published meanwhile is lost, which is why streams are logged.
 *
 * On a Redis Cluster (either connection may be an ioredis `Cluster`), plain pub/sub reaches the
 * subscribers on every node of the cluster; what one bus publishes on a topic goes through the
 * node of the topic's slot, so it arrives in the order it was published, as on a single Redis.
 */
export class RedisMessageBus implements MessageBus {
  readonly #publisher: RedisClient
  readonly #subscriber: RedisClient
  readonly #prefix: string
  readonly #topics = new Map<string, Set<(payload: string) => void>>()
  /** Channels being subscribed: a second listener waits until delivery works for it too. */
  readonly #subscribing = new Map<string, Promise<unknown>>()

  /**
   * `onError` hears what a listener throws: this runs inside ioredis's event emitter, where an
   * exception would end the process, so none gets out.
   */
  constructor (publisher: RedisClient, subscriber: RedisClient, prefix = 'mcp:', onError: (error: Error) => void = () => {}) {
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
    if (this.#publisher.isCluster) await PUBLISH_IN_ORDER(this.#publisher, [this.#prefix + topic], [payload])
    else await this.#publisher.publish(this.#prefix + topic, payload)
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
      await this.#subscriber.unsubscribe(channel).catch((error: unknown) => reportFailure('session', 'unsubscribe from a bus topic', error))
    }
  }

  async close (): Promise<void> {
    this.#topics.clear()
  }
}
