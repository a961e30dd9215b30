import { randomBytes, randomUUID } from 'node:crypto'
import { inSlices, reportFailure, type JSONRPCMessage, type JSONRPCNotification, type TaskStore } from '@mcp-fastify/mcp-protocol'
import type { MessageBus } from './bus.ts'
import {
  publishFailure, sessionCloseChannel, sessionOpenChannel, type SessionFailureReport, type SessionCloseEvent, type SessionOpenEvent
} from './channels.ts'
import { FST_MCP_SESSION_LIMIT, FST_MCP_SESSION_PRINCIPAL_LIMIT, FST_MCP_SESSION_STREAM_LIMIT, FST_MCP_SESSION_UNAVAILABLE } from './errors.ts'
import type { EventLog } from './event-log.ts'
import type { McpSessionSettings } from './options.ts'
import { Session } from './session.ts'
import { writerOf } from './stream.ts'
import type { SessionChanges, SessionRecord, SessionStore } from './store.ts'
import { decodeNodeMessage, NODES_TOPIC, publishDropped, streamTopic, type DropReport, type NodeMessage, type NodeNews, type StreamWire } from './wire.ts'

export type NewSession = Pick<SessionRecord, 'protocolVersion' | 'clientCapabilities' | 'clientInfo'> &
  Partial<Pick<SessionRecord, 'principal'>>

export interface McpSessionsServices {
  store: SessionStore
  eventLog: EventLog
  bus: MessageBus
  /** Where the endpoint keeps tasks (tasks extension) when they must be shared: the Redis one. */
  tasks?: TaskStore
  /** Where malformed values from other processes are reported (default: observers only). */
  dropped?: DropReport
  /** Where failures of the node's own work (the reaper) are reported (default: `mcp-fastify:failure`). */
  failed?: SessionFailureReport
  /** No other node shares `bus` (see `StreamServices.alone`). */
  alone?: boolean
}

/** Sessions the reaper looks at together: their store calls run at once, batch after batch. */
export const REAP_BATCH = 100

/**
 * The sessions of one MCP endpoint (`app.mcpSessions`): creates them, finds them (here, or in
 * the shared store, for a session another node created), ends them, and carries what concerns a
 * session on every node: notifications outside any request, the end of a session, and client
 * messages that the node awaiting them must see.
 */
export class McpSessions {
  readonly settings: McpSessionSettings
  readonly store: SessionStore
  readonly eventLog: EventLog
  readonly bus: MessageBus
  /** The task store the endpoint shares with the other nodes (with Redis); none in memory (the endpoint keeps its own). */
  readonly tasks: TaskStore | undefined
  readonly dropped: DropReport
  readonly alone: boolean
  readonly #failed: SessionFailureReport
  readonly #reapIntervalMs: number
  /** This node's id (8 characters), unique per process start. */
  readonly node = randomBytes(6).toString('base64url')
  readonly #local = new Map<string, Session>()
  readonly #endListeners = new Set<(sessionId: string) => void>()
  readonly #forwardListeners = new Set<(sessionId: string, message: JSONRPCMessage) => void>()
  readonly #notifyListeners = new Set<(notification: JSONRPCNotification, uri: string | undefined) => void>()
  #reaper: NodeJS.Timeout | undefined
  #reaping: Promise<void> | undefined
  #unsubscribe: (() => Promise<void>) | undefined

  constructor (settings: McpSessionSettings, services: McpSessionsServices) {
    this.settings = settings
    this.store = services.store
    this.eventLog = services.eventLog
    this.bus = services.bus
    this.tasks = services.tasks
    this.dropped = services.dropped ?? publishDropped
    this.alone = services.alone === true
    this.#failed = services.failed ?? publishFailure
    this.#reapIntervalMs = settings.reapIntervalMs ?? Math.min(60_000, Math.ceil(settings.ttlMs / 10))
  }

  /** Starts the reaper and listens to the other nodes. */
  async start (): Promise<void> {
    // `reap` reports what fails and never rejects.
    this.#reaper = setInterval(() => { this.reap().catch((error: unknown) => reportFailure('session', 'reap idle sessions', error)) }, this.#reapIntervalMs).unref()
    this.#unsubscribe = await this.bus.subscribe(NODES_TOPIC, (payload) => {
      const message = decodeNodeMessage(payload, this.dropped)
      if (message !== undefined && message.node !== this.node) this.#receive(message)
    })
  }

  /** Sessions held by this node right now. */
  get size (): number {
    return this.#local.size
  }

  /** Whether the session store answers, for readiness checks. */
  async health (): Promise<{ ok: true } | { ok: false, reason: string }> {
    try {
      await this.store.ping()
      return { ok: true }
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) }
    }
  }

  /** Runs when a session ends (deleted or expired), so the engine can cancel its work. */
  onEnd (listener: (sessionId: string) => void): () => void {
    this.#endListeners.add(listener)
    return () => this.#endListeners.delete(listener)
  }

  /** Runs for client messages another node forwarded (see `forward`). */
  onForward (listener: (sessionId: string, message: JSONRPCMessage) => void): () => void {
    this.#forwardListeners.add(listener)
    return () => this.#forwardListeners.delete(listener)
  }

  /**
   * Runs for notifications outside any request that another node broadcast (its `list_changed`,
   * `resources/updated`), once per broadcast on this node: for what this node serves beside its
   * sessions (2026-07-28 listen streams).
   */
  onRemoteNotification (listener: (notification: JSONRPCNotification, uri: string | undefined) => void): () => void {
    this.#notifyListeners.add(listener)
    return () => this.#notifyListeners.delete(listener)
  }

  /**
   * Hands a client message to the other nodes: an answer to a request one of them sent, or a
   * cancellation of a request one of them runs.
   */
  async forward (sessionId: string, message: JSONRPCMessage): Promise<void> {
    await this.#tell({ type: 'forward', sessionId, message })
  }

  /** Tells the other nodes that a session's log level or subscriptions changed here. */
  changed (sessionId: string, changes: SessionChanges): void {
    this.#tell({ type: 'changed', sessionId, changes }).catch((error: unknown) => reportFailure('session', 'tell the other nodes a session changed', error))
  }

  /** See `StreamServices.probe`. */
  async probe (sessionId: string, streamId: string): Promise<void> {
    await this.#tell({ type: 'probe', sessionId, streamId })
  }

  /** A session may hold `maxStreamsPerSession` open streams on a node; past it, 429. */
  requireStreamRoom (session: Session): void {
    const max = this.settings.maxStreamsPerSession
    if (session.openStreams >= max) throw new FST_MCP_SESSION_STREAM_LIMIT(max)
  }

  async create (init: NewSession): Promise<Session> {
    return this.#open(randomUUID(), init)
  }

  /**
   * Recovery mode: makes a session under an id the store does not know (any more), for a client
   * that would rather go on than initialize again. What it negotiated is lost.
   */
  async recover (id: string, init: NewSession): Promise<Session> {
    return this.#open(id, init)
  }

  /**
   * The live session `id`, its expiry slid forward; `undefined` when it never existed, ended or
   * expired. A session created on another node is taken up here from the shared store.
   */
  async get (id: string): Promise<Session | undefined> {
    const { ttlMs } = this.settings
    const held = this.#local.get(id)
    if (held !== undefined) {
      const current = await this.#reach(this.store.touch(id, ttlMs))
      if (current === undefined) {
        await this.#expire(held)
        return undefined
      }
      held.apply(current)
      held.lastSeen = held.touchedAt = Date.now()
      return held
    }
    const record = await this.#reach(this.store.get(id))
    if (record === undefined || await this.#reach(this.store.touch(id, ttlMs)) === undefined) return undefined
    return this.#local.get(id) ?? this.#hold(record, false)
  }

  /** Ends a session everywhere: its record, its events, its connections on every node. */
  async delete (id: string): Promise<boolean> {
    const held = this.#local.get(id)
    const existed = await this.#reach(this.store.delete(id))
    if (held !== undefined) this.#release(held, 'deleted')
    else if (existed) this.#ended(id)
    await this.#reach(this.eventLog.drop(id))
    await this.#tell({ type: 'ended', sessionId: id })
    return existed || held !== undefined
  }

  /**
   * Delivers a notification that belongs to no request (`list_changed`, `resources/updated`) to
   * the standalone streams of the sessions concerned, on every node. With `uri`, only sessions
   * subscribed to it.
   */
  broadcast (notification: JSONRPCNotification, uri?: string): void {
    const key = randomUUID()
    this.#deliver(key, notification, uri)
    this.#tell(uri === undefined ? { type: 'notify', key, notification } : { type: 'notify', key, notification, uri })
      .catch((error: unknown) => reportFailure('session', 'publish a notification to the other nodes', error))
  }

  /**
   * Releases the sessions this node holds that were not used for `ttlMs`. Those still in the
   * store were used on another node, and are only forgotten here; the others expired and end.
   * A session with an open connection is in use: its expiry is slid forward instead (and it ends
   * if its record is gone). Sessions are looked at `REAP_BATCH` at a time; what fails for one is
   * reported (`failed`: by default on `mcp-fastify:failure`, like every failure of the plugins)
   * and the others go on. A call while a reap runs waits for that one.
   */
  reap (now = Date.now()): Promise<void> {
    this.#reaping ??= this.#reapAll(now).finally(() => { this.#reaping = undefined })
    return this.#reaping
  }

  async #reapAll (now: number): Promise<void> {
    const held = [...this.#local.values()]
    for (let start = 0; start < held.length; start += REAP_BATCH) {
      await Promise.all(held.slice(start, start + REAP_BATCH).map(async (session) => {
        try {
          await this.#reapOne(session, now)
        } catch (error) {
          this.#failed({ operation: 'reap', sessionId: session.id, error })
        }
      }))
    }
  }

  async #reapOne (session: Session, now: number): Promise<void> {
    const { ttlMs } = this.settings
    if (session.connected) {
      // In use until now: idle time counts from when its last connection closes.
      session.lastSeen = now
      // Its expiry in the store is slid when it could come within half the TTL before the next
      // reap, not at every reap: thousands of held streams are not a store command each a minute.
      if (now - session.touchedAt < ttlMs / 2 - this.#reapIntervalMs) return
      session.touchedAt = now
      if (await this.store.touch(session.id, ttlMs) === undefined) await this.#expire(session)
    } else if (now - session.lastSeen >= ttlMs) {
      const stillLive = await this.store.get(session.id) !== undefined
      // Released meanwhile (an overlapping get that found it expired, a delete).
      if (this.#local.get(session.id) !== session) return
      if (stillLive) {
        this.#local.delete(session.id)
        this.#closed(session, 'released')
      } else {
        await this.#expire(session)
      }
    }
  }

  /**
   * The session's record is gone (expired, or deleted where the news did not reach us): this
   * node ends it, whether a request or the reaper found out, and its events are dropped.
   */
  async #expire (session: Session): Promise<void> {
    if (this.#local.get(session.id) !== session) return
    this.#release(session, 'expired')
    try {
      await this.eventLog.drop(session.id)
    } catch (error) {
      // The log is out of reach: its events expire by themselves (Redis), nobody can read them.
      this.#failed({ operation: 'expire', sessionId: session.id, error })
    }
  }

  async close (): Promise<void> {
    clearInterval(this.#reaper)
    await this.#unsubscribe?.()
    this.#local.clear()
  }

  async #open (id: string, init: NewSession): Promise<Session> {
    const { maxSessions, maxSessionsPerPrincipal, ttlMs } = this.settings
    const record: SessionRecord = {
      id,
      protocolVersion: init.protocolVersion,
      clientCapabilities: init.clientCapabilities,
      clientInfo: init.clientInfo,
      logLevel: undefined,
      subscriptions: [],
      principal: init.principal,
      createdAt: Date.now()
    }
    // The store checks the caps and creates in one step: concurrent creates never pass a cap together.
    const outcome = await this.#reach(this.store.create(record, ttlMs, { maxSessions, maxSessionsPerPrincipal }))
    if (outcome === 'session-limit') throw new FST_MCP_SESSION_LIMIT(maxSessions)
    if (outcome === 'principal-limit') throw new FST_MCP_SESSION_PRINCIPAL_LIMIT(maxSessionsPerPrincipal ?? 0)
    return this.#hold(record, true)
  }

  /** A store that cannot be reached is a 503 for the client, never a crash. */
  #reach<T> (operation: Promise<T>): Promise<T> {
    return operation.catch(unavailable)
  }

  async #tell (message: NodeNews): Promise<void> {
    await this.bus.publish(NODES_TOPIC, JSON.stringify({ ...message, node: this.node }))
      .catch((error: unknown) => reportFailure('session', `tell the other nodes (${message.type})`, error))
  }

  #receive (message: NodeMessage): void {
    if (message.type === 'notify') {
      this.#deliver(message.key, message.notification, message.uri)
      for (const listener of this.#notifyListeners) listener(message.notification, message.uri)
    } else if (message.type === 'probe') {
      if (writerOf(message.streamId) !== this.node) return
      const alive = this.#local.get(message.sessionId)?.writes(message.streamId) === true
      this.bus.publish(streamTopic(message.sessionId, message.streamId), JSON.stringify({ alive } satisfies StreamWire))
        .catch((error: unknown) => reportFailure('session', 'answer a probe of a stream', error))
    } else if (message.type === 'changed') {
      this.#local.get(message.sessionId)?.apply(message.changes)
    } else if (message.type === 'ended') {
      const held = this.#local.get(message.sessionId)
      if (held !== undefined) this.#release(held, 'deleted')
    } else {
      for (const listener of this.#forwardListeners) listener(message.sessionId, message.message)
    }
  }

  #hold (record: SessionRecord, created: boolean): Session {
    const session = new Session(record, this)
    this.#local.set(session.id, session)
    if (sessionOpenChannel.hasSubscribers) {
      sessionOpenChannel.publish({ sessionId: record.id, protocolVersion: record.protocolVersion, clientName: record.clientInfo?.name, created } satisfies SessionOpenEvent)
    }
    return session
  }

  /** The session ended (`deleted` or `expired`): this node lets it go and cancels its work. */
  #release (session: Session, reason: 'deleted' | 'expired'): void {
    this.#local.delete(session.id)
    session.close()
    this.#closed(session, reason)
    this.#ended(session.id)
  }

  #closed (session: Session, reason: SessionCloseEvent['reason']): void {
    if (!sessionCloseChannel.hasSubscribers) return
    const durationMs = reason === 'released' ? undefined : Date.now() - session.createdAt
    sessionCloseChannel.publish({ sessionId: session.id, reason, durationMs } satisfies SessionCloseEvent)
  }

  #ended (sessionId: string): void {
    for (const listener of this.#endListeners) listener(sessionId)
  }

  /**
   * Every node that has a session's standalone stream delivers to it (connected or not, so a
   * client that resumes gets what it missed); the broadcast's key makes it logged, and sent, once.
   */
  #deliver (key: string, notification: JSONRPCNotification, uri: string | undefined): void {
    // Serialized once for every stream.
    const json = JSON.stringify(notification)
    inSlices(this.#local.values(), (session) => {
      const stream = session.standalone
      if (stream === undefined || (uri !== undefined && !session.isSubscribed(uri))) return false
      stream.send(notification, key, json).catch((error: unknown) => reportFailure('session', 'deliver a notification to a session\'s stream', error))
      return true
    })
  }
}

function unavailable (error: unknown): never {
  throw new FST_MCP_SESSION_UNAVAILABLE({ cause: error })
}
