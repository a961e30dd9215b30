import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { MemoryMessageBus } from './bus.ts'
import { MemoryEventLog } from './memory-event-log.ts'
import { MemorySessionStore } from './memory-store.ts'
import { checkServices, resolveSettings, type McpSessionOptions } from './options.ts'
import { redisServices } from './redis.ts'
import { McpSessions } from './sessions.ts'
import { dropReporter } from './wire.ts'

declare module 'fastify' {
  interface FastifyInstance {
    mcpSessions: McpSessions
  }
}

const mcpSession: FastifyPluginAsync<McpSessionOptions> = async (app, options) => {
  const { store, eventLog, bus, redis, ...rest } = options
  const settings = resolveSettings(rest)
  checkServices({ store, eventLog, bus, redis })
  const dropped = dropReporter((details, message) => app.log.warn(details, message))
  let lastReport = 0
  const shared = redis === undefined
    ? undefined
    : await redisServices(redis, settings, {
      connection (error) {
        // One line per outage second at most: ioredis reports every reconnection attempt.
        if (Date.now() - lastReport < 1000) return
        lastReport = Date.now()
        app.log.warn({ err: error }, 'mcp-session: Redis connection error')
      },
      dropped,
      listener: (error) => app.log.error({ err: error }, 'mcp-session: a bus listener failed')
    })
  const sessions = new McpSessions(settings, {
    store: store ?? shared?.store ?? new MemorySessionStore(),
    eventLog: eventLog ?? shared?.eventLog ?? new MemoryEventLog({
      maxEvents: settings.maxEventsPerSession,
      maxBytesPerSession: settings.maxEventBytesPerSession,
      maxBytes: settings.maxEventBytes
    }),
    bus: bus ?? shared?.bus ?? new MemoryMessageBus(),
    // A bus made here, in memory, reaches no other node: standalone streams need not listen on it.
    alone: bus === undefined && shared === undefined,
    // With Redis, tasks are shared too (any node answers for any task); else the endpoint keeps its own.
    tasks: shared?.tasks,
    dropped
  })
  await sessions.start()
  app.decorate('mcpSessions', sessions)
  app.addHook('onClose', async () => {
    await sessions.close()
    await shared?.close()
  })
}

export default fp(mcpSession, { fastify: '5.x', name: '@mcp-fastify/mcp-session' })
export { mcpSession }
export { McpSessions, REAP_BATCH, type NewSession, type McpSessionsServices } from './sessions.ts'
export { Session, STANDALONE_STREAM_ID, type ResumeOutcome } from './session.ts'
export { follow, Stream, type StreamServices, type StreamSink } from './stream.ts'
export { streamTopic, type DropReport } from './wire.ts'
export type { CreateOutcome, SessionCaps, SessionRecord, SessionChanges, SessionStore } from './store.ts'
export { MemorySessionStore } from './memory-store.ts'
export { formatEventId, parseEventId, type AppendOptions, type EventId, type EventLog, type StoredEvent } from './event-log.ts'
export { MemoryEventLog, type MemoryEventLogOptions } from './memory-event-log.ts'
export { MemoryMessageBus, type MessageBus } from './bus.ts'
export { RedisSessionStore } from './redis-store.ts'
export { RedisEventLog, type RedisEventLogOptions } from './redis-event-log.ts'
export { RedisMessageBus } from './redis-bus.ts'
export { RedisTaskStore } from './redis-task-store.ts'
export type { RedisClient, RedisClusterOption, RedisOption } from './redis-connection.ts'
export { McpSessionSettingsSchema, type McpSessionOptions, type McpSessionSettings } from './options.ts'
export { errorCodes } from './errors.ts'
export {
  droppedChannel, sessionCloseChannel, sessionOpenChannel, streamResumeChannel,
  type DroppedEvent, type SessionFailure, type SessionFailureReport, type SessionCloseEvent, type SessionOpenEvent, type StreamResumeEvent
} from './channels.ts'
