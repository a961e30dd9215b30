import { randomUUID } from 'node:crypto'
import type { JSONRPCNotification } from '@mcp-fastify/mcp-protocol'
import type { MessageBus } from './bus.ts'
import { sessionCloseChannel, sessionOpenChannel, type SessionCloseEvent, type SessionOpenEvent } from './channels.ts'
import { FST_MCP_SESSION_LIMIT } from './errors.ts'
import type { EventLog } from './event-log.ts'
import type { McpSessionSettings } from './options.ts'
import { Session } from './session.ts'
import type { SessionRecord, SessionStore } from './store.ts'

export type NewSession = Pick<SessionRecord, 'protocolVersion' | 'clientCapabilities' | 'clientInfo'> &
  Partial<Pick<SessionRecord, 'principal'>>

export interface McpSessionsServices {
  store: SessionStore
  eventLog: EventLog
  bus: MessageBus
}

const BROADCAST_TOPIC = 'mcp:broadcast'

interface Broadcast {
  node: string
  notification: JSONRPCNotification
  uri?: string
}

/**
 * The sessions of one MCP endpoint (`app.mcpSessions`): creates them, finds them (here, or in
 * the shared store, for a session another node created), ends them, and delivers notifications
 * that belong to no request to the standalone streams of the sessions this node holds.
 */
export class McpSessions {
  readonly settings: McpSessionSettings
  readonly store: SessionStore
  readonly eventLog: EventLog
  readonly bus: MessageBus
  readonly #node = randomUUID()
  readonly #local = new Map<string, Session>()
  readonly #endListeners = new Set<(sessionId: string) => void>()
  #reaper: NodeJS.Timeout | undefined
  #unsubscribe: (() => Promise<void>) | undefined

  constructor (settings: McpSessionSettings, services: McpSessionsServices) {
    this.settings = settings
    this.store = services.store
    this.eventLog = services.eventLog
    this.bus = services.bus
  }

  /** Starts the reaper and listens to the other nodes. */
  async start (): Promise<void> {
    const { ttlMs, reapIntervalMs = Math.min(60_000, Math.ceil(ttlMs / 10)) } = this.settings
    this.#reaper = setInterval(() => { this.reap().catch(() => {}) }, reapIntervalMs).unref()
    this.#unsubscribe = await this.bus.subscribe(BROADCAST_TOPIC, (payload) => {
      const broadcast = JSON.parse(payload) as Broadcast
      if (broadcast.node !== this.#node) this.#deliver(broadcast.notification, broadcast.uri)
    })
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

  /** Sessions held by this node right now. */
  get size (): number {
    return this.#local.size
  }

  /** Runs when a session ends (deleted or expired), so the engine can cancel its work. */
  onEnd (listener: (sessionId: string) => void): () => void {
    this.#endListeners.add(listener)
    return () => this.#endListeners.delete(listener)
  }

  async create (init: NewSession): Promise<Session> {
    if (await this.store.count() >= this.settings.maxSessions) throw new FST_MCP_SESSION_LIMIT(this.settings.maxSessions)
    const record: SessionRecord = {
      id: randomUUID(),
      protocolVersion: init.protocolVersion,
      clientCapabilities: init.clientCapabilities,
      clientInfo: init.clientInfo,
      logLevel: undefined,
      subscriptions: [],
      principal: init.principal,
      createdAt: Date.now()
    }
    await this.store.create(record, this.settings.ttlMs)
    if (sessionOpenChannel.hasSubscribers) {
      sessionOpenChannel.publish({ sessionId: record.id, protocolVersion: record.protocolVersion, clientName: record.clientInfo?.name } satisfies SessionOpenEvent)
    }
    return this.#hold(record)
  }

  /**
   * The live session `id`, its expiry slid forward; `undefined` when it never existed, ended or
   * expired. A session created on another node is taken up here from the shared store.
   */
  async get (id: string): Promise<Session | undefined> {
    const held = this.#local.get(id)
    if (held !== undefined) {
      if (!await this.store.touch(id, this.settings.ttlMs)) {
        if (this.#local.get(id) === held) {
          this.#release(held, 'expired')
          await this.eventLog.drop(id)
        }
        return undefined
      }
      held.lastSeen = Date.now()
      return held
    }
    const record = await this.store.get(id)
    if (record === undefined) return undefined
    await this.store.touch(id, this.settings.ttlMs)
    return this.#local.get(id) ?? this.#hold(record)
  }

  /** Ends a session everywhere: its record, its events, its connections here. */
  async delete (id: string): Promise<boolean> {
    const held = this.#local.get(id)
    const existed = await this.store.delete(id)
    if (held !== undefined) this.#release(held, 'deleted')
    else if (existed) this.#ended(id, 'deleted', undefined)
    await this.eventLog.drop(id)
    return existed || held !== undefined
  }

  /**
   * Delivers a notification that belongs to no request (`list_changed`, `resources/updated`) to
   * the standalone streams of the sessions concerned, on every node. With `uri`, only sessions
   * subscribed to it.
   */
  broadcast (notification: JSONRPCNotification, uri?: string): void {
    this.#deliver(notification, uri)
    const broadcast: Broadcast = uri === undefined ? { node: this.#node, notification } : { node: this.#node, notification, uri }
    this.bus.publish(BROADCAST_TOPIC, JSON.stringify(broadcast)).catch(() => {})
  }

  /**
   * Releases the sessions this node holds that were not used for `ttlMs`. Those still in the
   * store were used on another node, and are only forgotten here; the others expired and end.
   * A session with an open connection is in use: its expiry is slid forward instead.
   */
  async reap (now = Date.now()): Promise<void> {
    const { ttlMs } = this.settings
    for (const session of [...this.#local.values()]) {
      if (session.connected) {
        // In use until now: idle time counts from when its last connection closes.
        session.lastSeen = now
        await this.store.touch(session.id, ttlMs)
      } else if (now - session.lastSeen >= ttlMs) {
        const stillLive = await this.store.get(session.id) !== undefined
        // Released meanwhile (an overlapping reap, a get that found it expired, a delete).
        if (this.#local.get(session.id) !== session) continue
        if (stillLive) {
          this.#local.delete(session.id)
        } else {
          this.#release(session, 'expired')
          await this.eventLog.drop(session.id)
        }
      }
    }
  }

  async close (): Promise<void> {
    clearInterval(this.#reaper)
    await this.#unsubscribe?.()
    this.#local.clear()
  }

  #hold (record: SessionRecord): Session {
    const session = new Session(record, this)
    this.#local.set(session.id, session)
    return session
  }

  #release (session: Session, reason: SessionCloseEvent['reason']): void {
    this.#local.delete(session.id)
    session.close()
    this.#ended(session.id, reason, session.createdAt)
  }

  #ended (sessionId: string, reason: SessionCloseEvent['reason'], createdAt: number | undefined): void {
    if (sessionCloseChannel.hasSubscribers) {
      const durationMs = createdAt === undefined ? undefined : Date.now() - createdAt
      sessionCloseChannel.publish({ sessionId, reason, durationMs } satisfies SessionCloseEvent)
    }
    for (const listener of this.#endListeners) listener(sessionId)
  }

  #deliver (notification: JSONRPCNotification, uri: string | undefined): void {
    for (const session of this.#local.values()) {
      const stream = session.standalone
      if (stream === undefined || (uri !== undefined && !session.isSubscribed(uri))) continue
      stream.send(notification).catch(() => {})
    }
  }
}
