import { createHash } from 'node:crypto'
import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis'

/** A connection to a single Redis or to a Redis Cluster: everything here works on both. */
export type RedisClient = Redis | Cluster

/**
 * Where Redis is: a URL (`redis://`, `rediss://`), an ioredis client or Cluster (duplicated: the
 * connections are ours, the app's is left alone), or the nodes of a Redis Cluster to start from
 * (with ioredis `ClusterOptions`, e.g. `redisOptions: { password, tls }`, `natMap`).
 */
export type RedisOption = string | Redis | Cluster | RedisClusterOption

export interface RedisClusterOption {
  cluster: ClusterNode[]
  options?: ClusterOptions
}

/**
 * What a shared store must do when Redis is out of reach: fail at once (the client gets a 503
 * and retries) rather than queue commands until it returns, and give up on a Redis that stops
 * answering after `commandTimeout`; never run later a command that already failed; reconnect by
 * itself, forever. And connect now (a duplicate of a `lazyConnect` client would wait for a
 * first command that, without an offline queue, could never be sent).
 */
const FAIL_FAST: Partial<RedisOptions> = {
  lazyConnect: false,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (times) => Math.min(times * 100, 2000)
}

/** The same on a cluster: per node (`redisOptions`), and for the cluster's own reconnection. */
function failFastCluster (options: ClusterOptions = {}): ClusterOptions {
  return {
    ...options,
    lazyConnect: false,
    enableOfflineQueue: false,
    clusterRetryStrategy: (times) => Math.min(times * 100, 2000),
    redisOptions: {
      ...options.redisOptions,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
      autoResendUnfulfilledCommands: false
    }
  }
}

/** Whether `value` is an ioredis client or Cluster (by its shape: the app may hold another copy of ioredis). */
export function isRedisClient (value: unknown): value is RedisClient {
  return typeof value === 'object' && value !== null && typeof (value as { isCluster?: unknown }).isCluster === 'boolean' &&
    typeof (value as { duplicate?: unknown }).duplicate === 'function'
}

/**
 * Our own connection to Redis: from a URL or cluster nodes, or a duplicate of the app's client
 * or Cluster (its nodes and credentials, our failure behaviour), so the app's client is never
 * reconfigured or closed.
 */
export function connect (redis: RedisOption, onError: (error: Error) => void): RedisClient {
  let connection: RedisClient
  if (typeof redis === 'string') connection = new Redis(redis, FAIL_FAST)
  else if (!isRedisClient(redis)) connection = new Cluster(redis.cluster, failFastCluster(redis.options))
  else if (redis.isCluster) {
    const cluster = redis as Cluster
    connection = cluster.duplicate([], failFastCluster(cluster.options))
  } else connection = (redis as Redis).duplicate(FAIL_FAST)
  // Connection errors are expected during an outage (requests get 503): report, never crash.
  connection.on('error', onError)
  return connection
}

/** Resolves once the connection is ready (it may still fail later: then it reconnects). */
export async function ready (connection: RedisClient): Promise<void> {
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

/** A Lua script defined on a client; every key it touches is in `keys` (one slot on a cluster). */
export type LuaScript = (redis: RedisClient, keys: string[], args: Array<string | number>) => Promise<unknown>

type ScriptCommand = (numberOfKeys: number, ...keysAndArgs: Array<string | number>) => Promise<unknown>

/**
 * A Lua script run as an ioredis custom command (`defineCommand`: EVALSHA, and EVAL when Redis
 * does not know the script yet, on a single Redis and on every node of a cluster). The command is
 * defined on each client the first time it is used there, under a name derived from the source.
 */
export function luaScript (lua: string): LuaScript {
  const name = `mcpSession${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`
  return async (redis, keys, args) => {
    const client = redis as unknown as Record<string, ScriptCommand | undefined>
    let command = client[name]
    if (command === undefined) {
      redis.defineCommand(name, { lua })
      command = client[name]!
    }
    return await command.call(redis, keys.length, ...keys, ...args)
  }
}

/**
 * The hash tag of a session's keys: every key of one session lands in one cluster slot, so each
 * script touches one slot. A session id is used as it is, unless it has braces in it (an id a
 * client chose, in recovery mode), which would cut the tag short: then its hash stands in.
 */
export function sessionTag (sessionId: string): string {
  return sessionId !== '' && !/[{}]/.test(sessionId)
    ? `{${sessionId}}`
    : `{${createHash('sha1').update(sessionId).digest('base64url')}}${sessionId}`
}

/** Key prefixes may not hold braces: they would become, or break, the hash tag of every key. */
export function checkPrefix (prefix: string): string {
  if (/[{}]/.test(prefix)) throw new TypeError(`A Redis key prefix may not contain "{" or "}" (hash tags are ours): ${JSON.stringify(prefix)}`)
  return prefix
}
