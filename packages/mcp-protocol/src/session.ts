import type { ClientCapabilities, Implementation, LoggingLevel } from './schema/index.ts'
import { DEFAULT_HTTP_PROTOCOL_VERSION, type ProtocolVersion } from './versions.ts'

/**
 * What the engine knows of the client behind a request: the state negotiated by `initialize`
 * and changed by later requests. A session plugin keeps it between requests (and across
 * nodes); without one, each request gets a fresh stateless view.
 */
export interface ClientSession {
  /** The `Mcp-Session-Id`, or `undefined` when the server keeps no sessions. */
  readonly id: string | undefined
  readonly protocolVersion: ProtocolVersion
  readonly clientCapabilities: ClientCapabilities
  readonly clientInfo: Implementation | undefined
  /**
   * The minimum level of `notifications/message` the client asked for; unset means all (2025),
   * or none (2026-07-28, where a request asks with `_meta` `logLevel`).
   */
  readonly logLevel: LoggingLevel | undefined
  /** Who the client is, as an auth plugin established it; results that depend on it are private. */
  readonly principal?: string | undefined
  setLogLevel (level: LoggingLevel): void | Promise<void>
  subscribe (uri: string): void | Promise<void>
  unsubscribe (uri: string): void | Promise<void>
}

/**
 * The view of a client when nothing is kept between requests: the protocol version comes from
 * the request (its header), capabilities are unknown, and state changes are not kept.
 */
export function statelessSession (protocolVersion: ProtocolVersion = DEFAULT_HTTP_PROTOCOL_VERSION): ClientSession {
  return {
    id: undefined,
    protocolVersion,
    clientCapabilities: {},
    clientInfo: undefined,
    logLevel: undefined,
    setLogLevel: keepNothing,
    subscribe: keepNothing,
    unsubscribe: keepNothing
  }
}

/** A change nothing keeps: one function for every view (a method per literal would be three closures a request). */
export function keepNothing (): void {}
