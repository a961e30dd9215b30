import {
  ClientCapabilitiesSchema, compile, ImplementationSchema, JSONRPCMessageSchema, JSONRPCNotificationSchema,
  LoggingLevelSchema, PROTOCOL_VERSIONS, TaskRecordSchema, type Validator
} from '@mcp-fastify/mcp-protocol'
import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox'
import { droppedChannel, type DroppedEvent } from './channels.ts'

/**
 * The cross-node protocol: every message nodes exchange on the bus, and every value read back
 * from Redis, has a schema here and comes in through one guarded decode. Nothing another process
 * wrote is trusted: a frame that is not JSON, or not of its schema (a node of another version
 * during a rolling deploy, a stray `PUBLISH`, a hand-edited key), is reported and dropped, and
 * never throws into an event emitter.
 */

/** The topic every node listens to. */
export const NODES_TOPIC = 'mcp:nodes'

/** The topic of one stream: its events for a connection held elsewhere, takeovers, probe answers. */
export function streamTopic (sessionId: string, streamId: string): string {
  return `mcp:stream:${sessionId}:${streamId}`
}

export const SessionChangesSchema = Type.Object({
  logLevel: Type.Optional(LoggingLevelSchema),
  subscriptions: Type.Optional(Type.Array(Type.String()))
})

function nodeMessage<T extends string, P extends TProperties> (type: T, properties: P) {
  return Type.Object({ type: Type.Literal(type), node: Type.String(), ...properties })
}

const NodeMessageSchema = Type.Union([
  // A notification outside any request, for the sessions concerned (`uri`: its subscribers).
  nodeMessage('notify', { key: Type.String(), notification: JSONRPCNotificationSchema, uri: Type.Optional(Type.String()) }),
  // A session ended (deleted): every node lets it go.
  nodeMessage('ended', { sessionId: Type.String() }),
  // A client message for the node awaiting it (an answer to its request, a cancellation).
  nodeMessage('forward', { sessionId: Type.String(), message: JSONRPCMessageSchema }),
  // Does the writer of this stream still write it? It answers on the stream's topic.
  nodeMessage('probe', { sessionId: Type.String(), streamId: Type.String() }),
  // A session's log level or subscriptions changed on the sending node.
  nodeMessage('changed', { sessionId: Type.String(), changes: SessionChangesSchema })
])

/** What one node tells the others, on `NODES_TOPIC`; `node` is the sender's id. */
export type NodeMessage = Static<typeof NodeMessageSchema>
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
export type NodeNews = DistributiveOmit<NodeMessage, 'node'>

const StreamWireSchema = Type.Union([
  // An event for the connection that follows the stream on another node.
  Type.Object({ id: Type.Optional(Type.String()), message: JSONRPCMessageSchema, final: Type.Optional(Type.Literal(true)) }),
  // A connection opened on node `takeover` took the standalone stream over.
  Type.Object({ takeover: Type.String() }),
  // The writer's answer to a probe.
  Type.Object({ alive: Type.Boolean() })
])

/** What travels on a stream's topic. */
export type StreamWire = Static<typeof StreamWireSchema>

/**
 * A session record's hash in Redis, its JSON fields (`c`, `i`, `u`) parsed: version, client
 * capabilities and info, log level, subscriptions, principal, creation time.
 */
export const StoredSessionSchema = Type.Object({
  v: Type.Union(PROTOCOL_VERSIONS.map((version) => Type.Literal(version))),
  c: ClientCapabilitiesSchema,
  i: Type.Optional(ImplementationSchema),
  l: Type.Optional(LoggingLevelSchema),
  u: Type.Array(Type.String()),
  p: Type.Optional(Type.String()),
  t: Type.String({ pattern: '^[0-9]{1,15}$' })
})

/**
 * What the store's touch script reads back from a record: log level, subscriptions (JSON),
 * principal (each may be absent), and the expiry to give its index entry (0: none now).
 */
const TouchedSchema = Type.Tuple([
  Type.Union([Type.String(), Type.Null()]), Type.Union([Type.String(), Type.Null()]), Type.Union([Type.String(), Type.Null()]),
  Type.Integer({ minimum: 0 })
])

/**
 * What the event log's replay script reads back: whether the events asked for are all still
 * kept (1) or some were trimmed away (0), then each event after the one asked for, oldest first:
 * its number within the stream, its message (JSON), and whether it is the stream's last.
 */
const ReplayedSchema = Type.Tuple([
  Type.Union([Type.Literal(0), Type.Literal(1)]),
  Type.Array(Type.Tuple([Type.Integer({ minimum: 1 }), Type.String(), Type.Union([Type.Literal('0'), Type.Literal('1')])]))
])

/** The topic of one node's tasks (the tasks extension): what it is told about the tasks it runs. */
export function tasksTopic (node: string): string {
  return `mcp:tasks:${node}`
}

/** On a node's tasks topic: a client answered a question of task `id` (`input`), or cancelled it. */
const TaskNoticeSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('input'), Type.Literal('cancel')])
})

/** A member of a node's task index: the principal (`null`: anonymous) and id of a task it runs. */
const TaskIndexEntrySchema = Type.Tuple([Type.Union([Type.String(), Type.Null()]), Type.String()])

/** Reports what was dropped: logs it and tells observers (`droppedChannel`). */
export type DropReport = (event: DroppedEvent) => void

/** Decodes one value another process wrote: its value, or `undefined` (reported) when it is not one. */
export type Decode<T> = (payload: string, report: DropReport) => T | undefined

/** Checks one value another process wrote (already parsed): its value, or `undefined` (reported). */
export type Check<T> = (value: unknown, report: DropReport) => T | undefined

/** The check of values of `schema`; `what` names them in reports. */
export function checker<S extends TSchema> (schema: S, source: DroppedEvent['source'], what: string): Check<Static<S>> {
  const validator: Validator<Static<S>> = compile(schema)
  return (value, report) => {
    if (value === NOT_JSON) {
      report({ source, what, reason: 'not JSON' })
      return undefined
    }
    if (validator.check(value)) return value
    report({ source, what, reason: validator.explain(value) })
    return undefined
  }
}

/** The guarded decode of JSON values of `schema`; `what` names them in reports. */
export function decoder<S extends TSchema> (schema: S, source: DroppedEvent['source'], what: string): Decode<Static<S>> {
  const check = checker(schema, source, what)
  return (payload, report) => check(parseJson(payload), report)
}

const NOT_JSON = Symbol('not JSON')

/** `JSON.parse`, with what is not JSON turned into a value no schema accepts (and reports say so). */
export function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return NOT_JSON
  }
}

export const decodeNodeMessage = decoder(NodeMessageSchema, 'bus', 'node message')
export const decodeStreamWire = decoder(StreamWireSchema, 'bus', 'stream message')
export const decodeStoredMessage = decoder(JSONRPCMessageSchema, 'redis', 'logged event')
export const checkSession = checker(StoredSessionSchema, 'redis', 'session record')
export const checkChanges = checker(SessionChangesSchema, 'redis', 'session record')
export const checkTouched = checker(TouchedSchema, 'redis', 'session record')
export const checkReplayed = checker(ReplayedSchema, 'redis', 'logged events')
export const decodeTaskNotice = decoder(TaskNoticeSchema, 'bus', 'task notice')
export const checkTaskRecord = checker(TaskRecordSchema, 'redis', 'task record')
export const decodeTaskIndexEntry = decoder(TaskIndexEntrySchema, 'redis', 'task index entry')
export const decodeTaskValue = decoder(Type.Unknown(), 'redis', 'task record')

/** Tells observers; no logging (for stores used on their own). */
export const publishDropped: DropReport = (event) => {
  if (droppedChannel.hasSubscribers) droppedChannel.publish(event)
}

/**
 * Reports to observers, and to `warn` at most once a second (a flood of bad frames must not
 * flood the log), saying how many were dropped since the last line.
 */
export function dropReporter (warn: (details: object, message: string) => void): DropReport {
  let lastLine = 0
  let unlogged = 0
  return (event) => {
    publishDropped(event)
    unlogged++
    const now = Date.now()
    if (now - lastLine < 1000) return
    warn({ ...event, dropped: unlogged }, 'mcp-session: dropped a malformed value from another process')
    lastLine = now
    unlogged = 0
  }
}
