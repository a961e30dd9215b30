import type { TestContext } from 'node:test'
import type { JSONRPCMessage, JSONRPCNotification } from '@mcp-fastify/mcp-protocol'
import {
  McpSessions,
  MemoryEventLog,
  MemoryMessageBus,
  MemorySessionStore,
  type EventId,
  type DroppedEvent,
  type EventLog,
  type McpSessionOptions,
  type MessageBus,
  type SessionRecord,
  type SessionStore,
  type StoredEvent,
  type StreamServices,
  type StreamSink,
  type AppendOptions
} from '../src/index.ts'
import { resolveSettings } from '../src/options.ts'

/** A connection that records what is written to it, and can be closed from "the client side". */
export interface FakeSink extends StreamSink {
  /** Ids of the events written, in order. */
  readonly ids: Array<string | undefined>
  readonly writes: Array<{ id: string | undefined, message: JSONRPCMessage }>
  /** The `retryMs` of each `end` call (`undefined` when none was given). */
  readonly ends: Array<number | undefined>
  /** `write:<id>` and `end:<retryMs>` entries, in the order they happened. */
  readonly timeline: string[]
  readonly ended: boolean
  /** Fires the close listeners, as when the client goes away. */
  close (): void
}

export interface FakeSinkOptions {
  /** Fire the close listeners (synchronously) when `end` is called, as a real response would. */
  closeOnEnd?: boolean
  /** A shared timeline to record into as well (to interleave with an event log's). */
  timeline?: string[]
  /** Runs on each write (to look at the world at that moment). */
  onWrite?: (id: string | undefined, message: JSONRPCMessage) => void
}

export function fakeSink (options: FakeSinkOptions = {}): FakeSink {
  const listeners: Array<() => void> = []
  const ids: Array<string | undefined> = []
  const writes: Array<{ id: string | undefined, message: JSONRPCMessage }> = []
  const ends: Array<number | undefined> = []
  const timeline: string[] = []
  let closed = false
  const record = (entry: string): void => {
    timeline.push(entry)
    options.timeline?.push(entry)
  }
  const close = (): void => {
    if (closed) return
    closed = true
    for (const listener of listeners) listener()
  }
  return {
    ids,
    writes,
    ends,
    timeline,
    get ended () { return ends.length > 0 },
    write (id, message) {
      ids.push(id)
      writes.push({ id, message })
      record(`write:${id}`)
      options.onWrite?.(id, message)
    },
    end (retryMs) {
      ends.push(retryMs)
      record(`end:${retryMs}`)
      if (options.closeOnEnd === true) close()
    },
    onClose (listener) {
      listeners.push(listener)
    },
    close
  }
}

export function notification (n: number | string, method = 'notifications/message'): JSONRPCNotification {
  return { jsonrpc: '2.0', method, params: { n } }
}

/** Lets pending promise jobs and I/O callbacks run (setImmediate is never mocked here). */
export async function flush (rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

export interface Deferred {
  promise: Promise<void>
  resolve: () => void
}

export function deferred (): Deferred {
  let resolve!: () => void
  const promise = new Promise<void>((_resolve) => { resolve = _resolve })
  return { promise, resolve }
}

/**
 * A MemoryEventLog that records `log:<id>` when an append is stored, and lets a test hold
 * appends and replays (`holdAppends`, `holdReplays`) or slow them down.
 */
export class ControlledEventLog implements EventLog {
  readonly inner: MemoryEventLog
  readonly timeline: string[]
  /** Ids stored so far, in the order they were stored. */
  readonly appended: string[] = []
  /** When set, each append waits for it before storing. */
  appendGate: Promise<void> | undefined
  /** When set, each replay waits for it before reading. */
  replayGate: Promise<void> | undefined
  /** When set, append number `n` (from 0) waits this many macrotask turns before storing. */
  appendDelay: ((n: number) => number) | undefined
  #appends = 0

  constructor (timeline: string[] = [], maxEvents?: number) {
    this.inner = new MemoryEventLog(maxEvents)
    this.timeline = timeline
  }

  async append (sessionId: string, streamId: string, message: JSONRPCMessage, options?: AppendOptions): Promise<string | undefined> {
    const n = this.#appends++
    if (this.appendGate !== undefined) await this.appendGate
    const turns = this.appendDelay?.(n) ?? 0
    if (turns > 0) await flush(turns)
    const id = await this.inner.append(sessionId, streamId, message, options)
    if (id === undefined) return undefined
    this.appended.push(id)
    this.timeline.push(`log:${id}`)
    return id
  }

  async replay (sessionId: string, after: EventId): Promise<StoredEvent[] | undefined> {
    if (this.replayGate !== undefined) await this.replayGate
    return this.inner.replay(sessionId, after)
  }

  drop (sessionId: string): Promise<void> {
    return this.inner.drop(sessionId)
  }

  close (): Promise<void> {
    return this.inner.close()
  }
}

export function sessionRecord (id: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id,
    protocolVersion: '2025-11-25',
    clientCapabilities: {},
    clientInfo: { name: 'test-client', version: '1.0.0' },
    logLevel: undefined,
    subscriptions: [],
    principal: undefined,
    createdAt: Date.now(),
    ...overrides
  }
}

export const NEW_SESSION = {
  protocolVersion: '2025-11-25',
  clientCapabilities: { roots: { listChanged: true } },
  clientInfo: { name: 'test-client', version: '1.0.0' }
} as const

export interface Services {
  store: SessionStore
  eventLog: EventLog
  bus: MessageBus
}

export function memoryServices (): { store: MemorySessionStore, eventLog: MemoryEventLog, bus: MemoryMessageBus } {
  return { store: new MemorySessionStore(), eventLog: new MemoryEventLog(), bus: new MemoryMessageBus() }
}

/** The ids a replay gives, or `'gone'` when the log no longer holds all it should. */
export async function replayedIds (log: EventLog, sessionId: string, streamId: string, seq = 0): Promise<string[] | 'gone'> {
  const events = await log.replay(sessionId, { streamId, seq })
  return events === undefined ? 'gone' : events.map((event) => event.id)
}

/** A started McpSessions over `services` (memory ones by default), closed when the test ends. */
export async function startSessions (t: TestContext, options: Omit<McpSessionOptions, 'store' | 'eventLog' | 'bus'> = {},
  services: Services = memoryServices()): Promise<McpSessions> {
  const sessions = new McpSessions(resolveSettings(options), services)
  await sessions.start()
  t.after(() => sessions.close())
  return sessions
}

/** Advances mocked time by `ms`, `step` at a time, letting async work (the reaper) settle at each step. */
export async function advance (t: TestContext, ms: number, step = 100): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    t.mock.timers.tick(Math.min(step, ms - done))
    await flush()
  }
}

/** What a Stream or Session needs around it, in one process: a log, a bus, this node's id; `dropped` collects what the bus could not decode. */
export function streamServices (eventLog: EventLog = new MemoryEventLog(), node = 'node0000', dropped: DroppedEvent[] = []): StreamServices {
  return { eventLog, bus: new MemoryMessageBus(), node, probe: async () => {}, dropped: (event) => { dropped.push(event) } }
}
