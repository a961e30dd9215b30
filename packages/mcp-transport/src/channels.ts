import { channel } from 'node:diagnostics_channel'

/**
 * What mcp-transport tells observers (metrics) through `node:diagnostics_channel`; nothing is
 * built while nobody listens.
 */
export interface SseEvent {
  /**
   * `post`: the answer to a POST; `get`: a GET stream (standalone or resumed); `legacy`: HTTP+SSE;
   * `listen`: a 2026-07-28 `subscriptions/listen` stream.
   */
  kind: 'post' | 'get' | 'legacy' | 'listen'
  sessionId: string | undefined
}

export interface RefusedEvent {
  statusCode: number
  /** The error code (`FST_MCP_TRANSPORT_...`, `FST_ERR_CTP_...`). */
  code: string
  httpMethod: string
}

export const sseOpenChannel = channel('mcp-fastify:sse:open')
export const sseCloseChannel = channel('mcp-fastify:sse:close')
export const refusedChannel = channel('mcp-fastify:http:refused')
