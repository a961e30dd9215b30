import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import { Redis } from 'ioredis'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/**
 * A Redis for the test, or why there is none: without Redis a test is skipped with a notice on
 * a developer's machine, and fails under CI (`CI=true`), where Redis must be there.
 */
export async function requireRedis (t: TestContext): Promise<{ url: string, prefix: string } | undefined> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  try {
    await probe.connect()
    await probe.ping()
  } catch (error) {
    const reason = `Redis is not reachable at ${REDIS_URL} (${(error as Error).message})`
    if (process.env.CI === 'true') throw new Error(`${reason}: under CI a Redis is required`)
    process.stderr.write(`notice: skipping "${t.name}": ${reason}; set REDIS_URL to run it\n`)
    t.skip(reason)
    return undefined
  } finally {
    probe.disconnect()
  }
  const prefix = `test:${randomBytes(6).toString('hex')}:`
  t.after(async () => {
    const cleaner = new Redis(REDIS_URL)
    const keys = await cleaner.keys(`${prefix}*`)
    if (keys.length > 0) await cleaner.del(...keys)
    cleaner.disconnect()
  })
  return { url: REDIS_URL, prefix }
}
