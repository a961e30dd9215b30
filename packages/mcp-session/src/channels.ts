import { channel } from 'node:diagnostics_channel'

/**
 * What mcp-session tells observers (metrics) through `node:diagnostics_channel`. Plugins that
 * want them subscribe by name; nothing is built while nobody listens.
 */
export interface SessionOpenEvent {
  sessionId: string
  protocolVersion: string
  clientName: string | undefined
}

export interface SessionCloseEvent {
  sessionId: string
  /** `deleted`: by the client (DELETE); `expired`: idle past `ttlMs`. */
  reason: 'deleted' | 'expired'
  /** How long it lived, when this node knows when it began. */
  durationMs: number | undefined
}

export interface StreamResumeEvent {
  sessionId: string
  streamId: string
  /** Events written again from the log. */
  replayed: number
}

export const sessionOpenChannel = channel('mcp-fastify:session:open')
export const sessionCloseChannel = channel('mcp-fastify:session:close')
export const streamResumeChannel = channel('mcp-fastify:stream:resume')
