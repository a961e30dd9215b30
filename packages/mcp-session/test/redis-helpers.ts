import { randomBytes } from 'node:crypto'
import net from 'node:net'
import type { TestContext } from 'node:test'
import { Redis } from 'ioredis'

/** The Redis the tests use: `REDIS_URL`, or a local one. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** How long Redis has to answer PING before the tests that need it are skipped (or fail, on CI). */
const PING_TIMEOUT_MS = 1000

/** Why Redis could not be reached, once it could not. */
let unreachable: string | undefined

export interface RedisFixture {
  /** A connected client, for looking at what the code under test wrote. */
  redis: Redis
  url: string
  /** Unique to this test: every key and channel the test makes lives under it. */
  prefix: string
  /** Another connected client (a second "node"), closed when the test ends. */
  connection (): Promise<Redis>
  /** Runs `close` when the test ends, before the keys are deleted and the clients closed. */
  defer (close: () => unknown): void
  /** The keys under this test's prefix, sorted. */
  keys (): Promise<string[]>
}

/**
 * A fixture on the test Redis, or `undefined` when Redis does not answer: the test is then
 * skipped, with a notice on stderr; on CI (`CI=true`) it fails instead, since a test that
 * silently does not run proves nothing. Cleans up its keys and closes its clients afterwards.
 */
export async function redisOrSkip (t: TestContext): Promise<RedisFixture | undefined> {
  // Once Redis did not answer, the next tests of this file do not wait for it again.
  const redis = unreachable ?? await connectOrReason(REDIS_URL)
  if (typeof redis === 'string') {
    unreachable = redis
    const reason = `Redis at ${REDIS_URL} is not reachable (no answer to PING within ${PING_TIMEOUT_MS} ms: ${redis})`
    if (process.env.CI === 'true') throw new Error(`${reason}; CI=true, so this test fails rather than skips`)
    process.stderr.write(`[redis-helpers] skipping "${t.name}": ${reason}\n`)
    t.skip(reason)
    return undefined
  }
  const prefix = `test:${randomBytes(6).toString('hex')}:`
  const clients: Redis[] = [redis]
  const closers: Array<() => unknown> = []
  const keys = async (): Promise<string[]> => {
    const found = new Set<string>()
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      for (const key of batch) found.add(key)
      cursor = next
    } while (cursor !== '0')
    return [...found].sort()
  }
  t.after(async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {})
    const left = await keys().catch(() => [])
    if (left.length > 0) await redis.unlink(...left).catch(() => {})
    for (const client of clients) client.disconnect()
  })
  return {
    redis,
    url: REDIS_URL,
    prefix,
    async connection () {
      const client = await connectOrReason(REDIS_URL)
      if (typeof client === 'string') throw new Error(`a second connection to Redis failed: ${client}`)
      clients.push(client)
      return client
    },
    defer (close) {
      closers.push(close)
    },
    keys
  }
}

/** A connected client, or why there is none (within PING_TIMEOUT_MS). */
async function connectOrReason (url: string): Promise<Redis | string> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PING_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null
  })
  client.on('error', () => {})
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('no answer')), PING_TIMEOUT_MS)
      })
    ])
    return client
  } catch (error) {
    client.disconnect()
    return error instanceof Error ? error.message : String(error)
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves once `check` is true (polled every `every` ms); rejects after `ms`. */
export async function waitFor (check: () => boolean | Promise<boolean>, ms: number, what: string, every = 20): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() >= deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(every)
  }
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Rejects when `promise` has not settled within `ms`. */
export function withTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export type ProxyMode = 'open' | 'cut' | 'stall'

/**
 * A TCP proxy in front of Redis, to take Redis away from the code under test and bring it back:
 * `cut` destroys the connections and refuses new ones (Redis down), `stall` keeps every
 * connection open but carries nothing either way (a partition, a frozen Redis), `restore`
 * carries traffic again. Closed when the test ends.
 */
export interface TcpProxy {
  /** `url` with the proxy's host and port (credentials and database kept). */
  readonly url: string
  readonly port: number
  readonly mode: ProxyMode
  /** Connections accepted so far (including those refused in `cut` mode). */
  readonly accepted: number
  cut (): void
  stall (): void
  restore (): void
  close (): Promise<void>
}

interface Pair {
  client: net.Socket
  upstream: net.Socket | undefined
}

export interface TcpProxyOptions {
  /** Delay of what the client sends before it reaches Redis (a slow link). */
  latencyMs?: number
}

export async function tcpProxy (t: TestContext, target = REDIS_URL, { latencyMs = 0 }: TcpProxyOptions = {}): Promise<TcpProxy> {
  const to = new URL(target)
  const host = to.hostname === '' ? '127.0.0.1' : to.hostname
  const port = to.port === '' ? 6379 : Number(to.port)
  const pairs = new Set<Pair>()
  let mode: ProxyMode = 'open'
  let accepted = 0

  const drop = (pair: Pair): void => {
    pairs.delete(pair)
    pair.client.destroy()
    pair.upstream?.destroy()
  }
  const carry = (pair: Pair): void => {
    const { client, upstream } = pair
    if (upstream === undefined) return
    if (latencyMs > 0) {
      client.removeAllListeners('data')
      client.on('data', (chunk: Buffer) => {
        setTimeout(() => { if (pairs.has(pair)) upstream.write(chunk) }, latencyMs)
      })
    } else {
      client.pipe(upstream)
    }
    upstream.pipe(client)
    client.resume()
    upstream.resume()
  }
  const hold = (pair: Pair): void => {
    const { client, upstream } = pair
    client.unpipe()
    client.removeAllListeners('data')
    upstream?.unpipe()
    client.pause()
    upstream?.pause()
  }

  const server = net.createServer((client) => {
    accepted++
    const pair: Pair = { client, upstream: undefined }
    client.on('error', () => drop(pair))
    client.on('close', () => drop(pair))
    if (mode === 'cut') {
      client.destroy()
      return
    }
    pairs.add(pair)
    client.pause()
    if (mode === 'stall') return
    connectUpstream(pair)
  })

  const connectUpstream = (pair: Pair): void => {
    const upstream = net.connect(port, host)
    pair.upstream = upstream
    upstream.on('error', () => drop(pair))
    upstream.on('close', () => drop(pair))
    upstream.on('connect', () => {
      if (mode === 'open' && pairs.has(pair)) carry(pair)
    })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port: proxyPort } = server.address() as net.AddressInfo
  const url = new URL(target)
  url.hostname = '127.0.0.1'
  url.port = String(proxyPort)

  const close = async (): Promise<void> => {
    mode = 'cut'
    for (const pair of [...pairs]) drop(pair)
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t.after(close)

  return {
    url: url.toString(),
    port: proxyPort,
    get mode () { return mode },
    get accepted () { return accepted },
    cut () {
      mode = 'cut'
      for (const pair of [...pairs]) drop(pair)
    },
    stall () {
      mode = 'stall'
      for (const pair of pairs) hold(pair)
    },
    restore () {
      mode = 'open'
      for (const pair of pairs) {
        if (pair.upstream === undefined) connectUpstream(pair)
        else carry(pair)
      }
    },
    close
  }
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function closedPort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
