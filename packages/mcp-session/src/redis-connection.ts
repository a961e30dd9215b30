import { createHash } from 'node:crypto'
import { Redis, type RedisOptions } from 'ioredis'

/**
 * What a shared store must do when Redis is out of reach: fail at once (the client gets a 503
 * and retries) rather than queue commands until it returns, and give up on a Redis that stops
 * answering after `commandTimeout`; never run later a command that already failed; reconnect by
 * itself, forever.
 */
const FAIL_FAST: Partial<RedisOptions> = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (times) => Math.min(times * 100, 2000)
}

/**
 * Our own connection to Redis: from a URL, or a duplicate of the app's client (its host and
 * credentials, our failure behaviour), so the app's client is never reconfigured or closed.
 */
export function connect (redis: Redis | string, onError: (error: Error) => void): Redis {
  const connection = typeof redis === 'string' ? new Redis(redis, FAIL_FAST) : redis.duplicate(FAIL_FAST)
  // Connection errors are expected during an outage (requests get 503): report, never crash.
  connection.on('error', onError)
  return connection
}

/** Resolves once the connection is ready (it may still fail later: then it reconnects). */
export async function ready (connection: Redis): Promise<void> {
  if (connection.status === 'ready') return
  await new Promise<void>((resolve, reject) => {
    const onReady = (): void => { cleanup(); resolve() }
    const onEnd = (): void => { cleanup(); reject(new Error('Redis connection closed before it was ready')) }
    const cleanup = (): void => {
      connection.off('ready', onReady)
      connection.off('end', onEnd)
    }
    connection.once('ready', onReady)
    connection.once('end', onEnd)
  })
}

/** A Lua script, sent by its SHA1 (EVALSHA) and loaded by EVAL only when Redis does not know it. */
export interface LuaScript {
  run (redis: Redis, keys: string[], args: Array<string | number>): Promise<unknown>
}

export function luaScript (source: string): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex')
  return {
    async run (redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args)
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
        return await redis.eval(source, keys.length, ...keys, ...args)
      }
    }
  }
}
