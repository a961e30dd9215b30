import type { ClientCapabilities, Implementation, LoggingLevel, ProtocolVersion } from '@mcp-fastify/mcp-protocol'

/** What any node needs to serve a session without the client initializing again. */
export interface SessionRecord {
  id: string
  protocolVersion: ProtocolVersion
  clientCapabilities: ClientCapabilities
  clientInfo: Implementation | undefined
  logLevel: LoggingLevel | undefined
  /** URIs of resources the client subscribed to. */
  subscriptions: string[]
  /** Who the session belongs to (an auth plugin sets it); opaque here. */
  principal: string | undefined
  createdAt: number
}

export type SessionChanges = Partial<Pick<SessionRecord, 'logLevel' | 'subscriptions'>>

/** The caps `create` enforces, in the same step as it stores the record. */
export interface SessionCaps {
  /** Live records at most. */
  maxSessions: number
  /** Live records of one principal at most (for records that have one); unlimited when absent. */
  maxSessionsPerPrincipal?: number | undefined
}

/**
 * What `create` did: `created`, or why it refused (nothing stored): `session-limit` (live records
 * are at `maxSessions`), `principal-limit` (the record's principal holds
 * `maxSessionsPerPrincipal` live records).
 */
export type CreateOutcome = 'created' | 'session-limit' | 'principal-limit'

/**
 * Where session records live. Records expire `ttlMs` after they were last touched; the memory
 * store is the default, a shared store (Redis) lets any node serve any session.
 */
export interface SessionStore {
  /**
   * Stores a new record, unless that would put live records past `caps`: the check and the
   * creation are one atomic step, so concurrent creates (on any node) never pass a cap together.
   * A record already stored under the same id (recovery) is replaced, and does not count against
   * itself.
   */
  create (record: SessionRecord, ttlMs: number, caps?: SessionCaps): Promise<CreateOutcome>
  /** The record, or `undefined` when it does not exist or expired. */
  get (id: string): Promise<SessionRecord | undefined>
  /**
   * Slides the expiry and returns what may have changed since (on another node): log level and
   * subscriptions; `undefined` when the record is gone.
   */
  touch (id: string, ttlMs: number): Promise<SessionChanges | undefined>
  update (id: string, changes: SessionChanges): Promise<void>
  /** False when there was nothing to delete. */
  delete (id: string): Promise<boolean>
  /** Live records (of one principal, when given). */
  count (principal?: string): Promise<number>
  /** Resolves when the store answers; rejects with the reason when it does not (readiness). */
  ping (): Promise<void>
  close (): Promise<void>
}
