import {
  JSONRPCErrorResponseSchema, JSONRPCNotificationSchema, JSONRPCRequestSchema, JSONRPCResultResponseSchema,
  type JSONRPCNotification, type JSONRPCRequest, type JSONRPCResponse, type RequestId
} from './schema/index.ts'
import { compile } from './validation.ts'

/** One inbound JSON-RPC message, sorted by kind, or why it is not one. */
export type InboundMessage =
  | { kind: 'request', message: JSONRPCRequest }
  | { kind: 'notification', message: JSONRPCNotification }
  | { kind: 'response', message: JSONRPCResponse }
  | { kind: 'invalid', id: RequestId | undefined, reason: string }

const request = compile(JSONRPCRequestSchema)
const notification = compile(JSONRPCNotificationSchema)
const result = compile(JSONRPCResultResponseSchema)
const error = compile(JSONRPCErrorResponseSchema)

/**
 * Checks the envelope of a parsed JSON value. The kind is read from the members present (`method`
 * and `id`: a request; `method` alone: a notification; `result` or `error`: a response), then the
 * whole frame is checked against that kind's schema, so an error names the failing path.
 */
export function readMessage (value: unknown): InboundMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', id: undefined, reason: 'A JSON-RPC message must be an object' }
  }
  const frame = value as Record<string, unknown>
  if ('method' in frame) {
    if ('id' in frame) {
      return request.check(frame)
        ? { kind: 'request', message: frame }
        : { kind: 'invalid', id: readableId(frame.id), reason: `Invalid request: ${request.explain(frame)}` }
    }
    return notification.check(frame)
      ? { kind: 'notification', message: frame }
      : { kind: 'invalid', id: undefined, reason: `Invalid notification: ${notification.explain(frame)}` }
  }
  const validator = 'error' in frame ? error : result
  return validator.check(frame)
    ? { kind: 'response', message: frame as JSONRPCResponse }
    : { kind: 'invalid', id: readableId(frame.id), reason: `Invalid message: ${validator.explain(frame)}` }
}

/** The id of a message that has a valid one (a string or an integer), whatever else is wrong with it. */
export function requestIdOf (message: unknown): RequestId | undefined {
  return typeof message === 'object' && message !== null && !Array.isArray(message) ? readableId((message as { id?: unknown }).id) : undefined
}

function readableId (id: unknown): RequestId | undefined {
  return typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)) ? id : undefined
}
