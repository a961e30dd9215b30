import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import { Cluster } from 'ioredis'
import type { RedisClient, RedisOption } from '../src/index.ts'
import { clusterUnavailable, startCluster, type TestCluster } from './redis-cluster.ts'
import { redisOrSkip, type RedisFixture } from './redis-helpers.ts'

/**
 * Where a test suite of the Redis parts runs: the single Redis of `REDIS_URL`, or a Redis
 * Cluster of three masters the tests start themselves. The suites (`*-suite.ts`) are written
 * once against `SharedRedis` and run on both.
 */
export interface RedisBackend {
  /** `Redis` or `Redis Cluster`: prefixes the names of the tests. */
  name: string
  /** A fixture for one test, or `undefined` (the test is skipped, or fails on CI). */
  fixture (t: TestContext): Promise<SharedRedis | undefined>
}

export interface SharedRedis {
  /** A connected client or Cluster, for looking at what the code under test wrote. */
  redis: RedisClient
  /** The value of mcp-session's `redis` option that reaches this Redis. */
  option: RedisOption
  /** Unique to this test: every key and channel the test makes lives under it. */
  prefix: string
  /** Another connected client (a second "node"), closed when the test ends. */
  connection (): Promise<RedisClient>
  /** Runs `close` when the test ends, before the keys are deleted and the clients closed. */
  defer (close: () => unknown): void
  /** The keys under this test's prefix (on every master of a cluster), sorted. */
  keys (): Promise<string[]>
  /** Subscribers of a channel (on every node of a cluster). */
  numsub (channel: string): Promise<number>
  /** Channels with subscribers matching `pattern` (on every node of a cluster). */
  channels (pattern: string): Promise<string[]>
  /** The single Redis's own fixture (its URL, for proxies in front of it); `undefined` on a cluster. */
  single: RedisFixture | undefined
  /** The cluster's masters; `undefined` on a single Redis. */
  cluster: TestCluster | undefined
}

export const singleRedis: RedisBackend = {
  name: 'Redis',
  async fixture (t) {
    const fx = await redisOrSkip(t)
    if (fx === undefined) return undefined
    return {
      redis: fx.redis,
      option: fx.url,
      prefix: fx.prefix,
      connection: () => fx.connection(),
      defer: (close) => fx.defer(close),
      keys: () => fx.keys(),
      async numsub (channel) {
        const [, subscribers] = await fx.redis.pubsub('NUMSUB', channel) as [string, number]
        return Number(subscribers)
      },
      channels: async (pattern) => await fx.redis.pubsub('CHANNELS', pattern) as string[],
      single: fx,
      cluster: undefined
    }
  }
}

let started: Promise<TestCluster | string> | undefined

/**
 * The Redis Cluster backend: the cluster is started by the first test that asks for it, once per
 * test process, and stopped by `stopCluster` (the test file calls it in `after`) or when the
 * process exits. Without `redis-server` and `redis-cli` the tests are skipped, except on CI.
 */
export const redisCluster: RedisBackend = {
  name: 'Redis Cluster',
  async fixture (t) {
    started ??= (async () => {
      const missing = clusterUnavailable()
      if (missing !== undefined) return missing
      const cluster = await startCluster()
      process.stderr.write(`[redis-backends] started a Redis Cluster of ${cluster.nodes.length} masters (${cluster.nodes.map((node) => node.port).join(', ')}) in ${cluster.startedInMs} ms\n`)
      return cluster
    })()
    const cluster = await started
    if (typeof cluster === 'string') {
      const reason = `cannot start a Redis Cluster: ${cluster}`
      if (process.env.CI === 'true') throw new Error(`${reason}; CI=true, so this test fails rather than skips`)
      t.skip(reason)
      return undefined
    }
    const prefix = `test:${randomBytes(6).toString('hex')}:`
    const clients: Cluster[] = []
    const closers: Array<() => unknown> = []
    const connection = async (): Promise<Cluster> => {
      const client = new Cluster(cluster.nodes, { enableOfflineQueue: true })
      client.on('error', () => {})
      clients.push(client)
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve)
        client.once('end', () => reject(new Error('the cluster connection ended before it was ready')))
      })
      return client
    }
    const redis = await connection()
    const masters = (): ReturnType<Cluster['nodes']> => redis.nodes('master')
    const keys = async (): Promise<string[]> => {
      const found = new Set<string>()
      for (const node of masters()) {
        let cursor = '0'
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
          for (const key of batch) found.add(key)
          cursor = next
        } while (cursor !== '0')
      }
      return [...found].sort()
    }
    t.after(async () => {
      for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {})
      for (const key of await keys().catch(() => [])) await redis.unlink(key).catch(() => {})
      for (const client of clients) client.disconnect()
    })
    return {
      redis,
      option: { cluster: cluster.nodes },
      prefix,
      connection,
      defer: (close) => { closers.push(close) },
      keys,
      async numsub (channel) {
        let total = 0
        for (const node of redis.nodes('all')) {
          const [, subscribers] = await node.pubsub('NUMSUB', channel) as [string, number]
          total += Number(subscribers)
        }
        return total
      },
      async channels (pattern) {
        const found = new Set<string>()
        for (const node of redis.nodes('all')) for (const channel of await node.pubsub('CHANNELS', pattern) as string[]) found.add(channel)
        return [...found]
      },
      single: undefined,
      cluster
    }
  }
}

/** Stops the cluster, if one was started in this process. */
export async function stopCluster (): Promise<void> {
  const cluster = await started
  started = undefined
  if (typeof cluster === 'object') await cluster.stop()
}
