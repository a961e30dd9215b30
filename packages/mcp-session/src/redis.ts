import { FST_MCP_SESSION_REDIS_UNREACHABLE } from './errors.ts'
import type { McpSessionSettings } from './options.ts'
import { connect, ready, type RedisOption } from './redis-connection.ts'
import { RedisMessageBus } from './redis-bus.ts'
import { RedisEventLog } from './redis-event-log.ts'
import { RedisSessionStore } from './redis-store.ts'
import { RedisTaskStore } from './redis-task-store.ts'
import type { DropReport } from './wire.ts'

/** Where what goes wrong with Redis is reported (the plugin logs it). */
export interface RedisReports {
  /** A connection error (expected during an outage). */
  connection: (error: Error) => void
  /** A malformed value read from Redis or heard on the bus. */
  dropped: DropReport
  /** A bus listener that threw. */
  listener: (error: Error) => void
}

/**
 * The store, event log and bus on one Redis or one Redis Cluster, over two connections of our
 * own (commands, and pub/sub). Redis must answer at boot, within `redisConnectTimeoutMs`; later
 * outages are answered with 503 and end by themselves when Redis is back.
 */
export async function redisServices (redis: RedisOption, settings: McpSessionSettings, report: RedisReports): Promise<{
  store: RedisSessionStore
  eventLog: RedisEventLog
  bus: RedisMessageBus
  tasks: RedisTaskStore
  close (): Promise<void>
}> {
  const { keyPrefix: prefix, maxEventsPerSession: maxEvents, maxEventAgeMs: maxAgeMs, redisConnectTimeoutMs } = settings
  const commands = connect(redis, report.connection)
  const subscriber = connect(redis, report.connection)
  const close = async (): Promise<void> => {
    await Promise.all([commands, subscriber].map((connection) => connection.quit().catch(() => connection.disconnect())))
  }
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      Promise.all([ready(commands), ready(subscriber)]),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${redisConnectTimeoutMs} ms`)), redisConnectTimeoutMs)
      })
    ])
  } catch (error) {
    // A Redis that accepts connections but does not answer would not answer QUIT either.
    for (const connection of [commands, subscriber]) connection.disconnect()
    const unreachable = new FST_MCP_SESSION_REDIS_UNREACHABLE((error as Error).message)
    unreachable.cause = error
    throw unreachable
  } finally {
    clearTimeout(timer)
  }
  const bus = new RedisMessageBus(commands, subscriber, prefix, report.listener)
  return {
    store: new RedisSessionStore(commands, prefix, report.dropped),
    eventLog: new RedisEventLog(commands, { maxEvents, maxAgeMs, prefix, dropped: report.dropped }),
    bus,
    tasks: new RedisTaskStore(commands, bus, prefix, report.dropped),
    close
  }
}
