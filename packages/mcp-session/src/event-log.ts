import type { JSONRPCMessage } from '@mcp-fastify/mcp-protocol'

export interface StoredEvent {
  id: string
  message: JSONRPCMessage
  /** The stream's last message (a POST's response): the stream ends with it. */
  final?: boolean
}

/**
 * Messages sent on a session's SSE streams, kept so a client that lost its connection can
 * resume with `Last-Event-ID` (transports: "Resumability and Redelivery"). A message is
 * stored before it is sent. Event ids are unique within the session and name their stream:
 * `<streamId>.<n>`, `n` counting from 1 within the stream; `<streamId>.0` is the id of a
 * stream's priming event, before anything was sent on it.
 */
export interface EventLog {
  /**
   * Stores a message sent on a stream; returns its event id. With `dedupe`, a message appended
   * before under the same key (by any node) is not stored again: `undefined` then.
   */
  append (sessionId: string, streamId: string, message: JSONRPCMessage, options?: AppendOptions): Promise<string | undefined>
  /**
   * The events of the stream `after` names that came after it, oldest first; `undefined` when
   * some of them are no longer kept (trimmed away past the log's bounds), since a replay that
   * skipped them would lose them silently. An implementation reads from `after` on, not the
   * whole log.
   */
  replay (sessionId: string, after: EventId): Promise<StoredEvent[] | undefined>
  /** Forgets a session's events, when it ends. */
  drop (sessionId: string): Promise<void>
  close (): Promise<void>
}

export interface AppendOptions {
  /** The stream's last message (a POST's response). */
  final?: boolean
  /** A key naming this message wherever it is sent from (a broadcast that several nodes deliver). */
  dedupe?: string
  /** The message as JSON, when the caller has it: a broadcast to many streams serializes once. */
  json?: string
}

export interface EventId {
  streamId: string
  seq: number
}

const EVENT_ID = /^([A-Za-z0-9_-]{1,64})\.(\d{1,15})$/

export function formatEventId (streamId: string, seq: number): string {
  return `${streamId}.${seq}`
}

/** `undefined` for anything that is not one of our event ids. */
export function parseEventId (id: string): EventId | undefined {
  const found = EVENT_ID.exec(id)
  return found === null ? undefined : { streamId: found[1]!, seq: Number(found[2]) }
}
