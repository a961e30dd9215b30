import { RedisMessageBus, RedisTaskStore } from '../src/index.ts'
import { taskStoreContract } from '../../mcp-protocol/test/task-store-contract.ts'
import type { RedisBackend } from './redis-backends.ts'

/**
 * The task store contract (every store passes the same tests: mcp-protocol's memory store too)
 * against `RedisTaskStore`, on a single Redis or a Redis Cluster: every script touches one slot.
 */
export function redisTaskStoreSuite (backend: RedisBackend): void {
  taskStoreContract(`RedisTaskStore on ${backend.name}`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return undefined
    const bus = new RedisMessageBus(fx.redis, await fx.connection(), fx.prefix)
    return new RedisTaskStore(fx.redis, bus, fx.prefix)
  })
}
