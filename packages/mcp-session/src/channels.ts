import { channel } from 'node:diagnostics_channel'
import { reportFailure } from '@mcp-fastify/mcp-protocol'

/**
 * What mcp-session tells observers (metrics) through `node:diagnostics_channel`. Plugins that
 * want them subscribe by name; nothing is built while nobody listens.
 *
 * `open` and `close` pair up on each node: a node opens a session when it starts holding it
 * (it created it, or took it up from the shared store) and closes it when it stops.
 */
export interface SessionOpenEvent {
  sessionId: string
  protocolVersion: string
  clientName: string | undefined
  /** True where `initialize` created it; false where a node took it up from the store. */
  created: boolean
}

export interface SessionCloseEvent {
  sessionId: string
  /**
   * `deleted`: by the client (DELETE); `expired`: idle past `ttlMs`; `released`: this node let
   * its copy go (idle here, used elsewhere): the session lives on.
   */
  reason: 'deleted' | 'expired' | 'released'
  /** How long it lived, for a session that ended (not `released`). */
  durationMs: number | undefined
}

export interface StreamResumeEvent {
  sessionId: string
  streamId: string
  /** Events written again from the log. */
  replayed: number
}

/**
 * A value another process wrote (a bus message, a record or event read back from Redis) that
 * was not of its schema, and was dropped.
 */
export interface DroppedEvent {
  source: 'bus' | 'redis'
  /** What it should have been: `node message`, `stream message`, `session record`, `logged event`. */
  what: string
  /** Why it was dropped: `not JSON`, or the first failing path. */
  reason: string
}

/**
 * Work a node does on its own, outside any request, that failed (the store or event log out of
 * reach while the reaper runs); the work goes on with the rest.
 */
export interface SessionFailure {
  /** What failed: `reap` (looking at one session), `expire` (dropping an expired session's events). */
  operation: 'reap' | 'expire'
  sessionId: string
  error: unknown
}

export const sessionOpenChannel = channel('mcp-fastify:session:open')
export const sessionCloseChannel = channel('mcp-fastify:session:close')
export const streamResumeChannel = channel('mcp-fastify:stream:resume')
export const droppedChannel = channel('mcp-fastify:session:dropped')
/** Where failures of a node's own work on a session go. */
export type SessionFailureReport = (event: SessionFailure) => void

const ACTIONS: Record<SessionFailure['operation'], string> = {
  reap: 'reap a session',
  expire: 'drop the events of an expired session'
}

/**
 * The path every failure of the plugins takes: `mcp-fastify:failure` (mcp-protocol's
 * `reportFailure`), which mcp-transport logs and mcp-metrics counts by component and action.
 */
export const publishFailure: SessionFailureReport = ({ operation, error }) => {
  reportFailure('session', ACTIONS[operation], error)
}
