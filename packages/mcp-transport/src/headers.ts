import { HANDSHAKE_VERSIONS, isHandshakeVersion, type HandshakeVersion } from '@mcp-fastify/mcp-protocol'
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  FST_MCP_TRANSPORT_NOT_ACCEPTABLE, FST_MCP_TRANSPORT_UNSUPPORTED_MEDIA_TYPE, FST_MCP_TRANSPORT_UNSUPPORTED_VERSION
} from './errors.ts'

/** Which of the two answer formats the client takes. */
export interface Accepts {
  json: boolean
  sse: boolean
}

const BOTH: Accepts = Object.freeze({ json: true, sse: true })
const COMMON = 'application/json, text/event-stream'

/** Reads `Accept`: media ranges with `q=0` are refused, wildcards count. No header takes anything. */
export function readAccept (header: string | undefined): Accepts {
  if (header === undefined || header === COMMON) return BOTH
  let json = false
  let sse = false
  for (const range of header.toLowerCase().split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim())
    if (parameters.some((parameter) => /^q=0(\.0*)?$/.test(parameter))) continue
    if (type === '*/*') return BOTH
    if (type === 'application/json' || type === 'application/*') json = true
    else if (type === 'text/event-stream' || type === 'text/*') sse = true
  }
  return { json, sse }
}

/** The answer formats a POST may use; throws 406 when none (or, when strict, not both). */
export function acceptsForPost (request: FastifyRequest, strict: boolean): Accepts {
  const accepts = readAccept(request.headers.accept)
  if (strict ? !(accepts.json && accepts.sse) : !(accepts.json || accepts.sse)) {
    throw new FST_MCP_TRANSPORT_NOT_ACCEPTABLE(strict ? 'both application/json and text/event-stream' : 'application/json or text/event-stream')
  }
  return accepts
}

export function requireEventStream (request: FastifyRequest): void {
  if (!readAccept(request.headers.accept).sse) throw new FST_MCP_TRANSPORT_NOT_ACCEPTABLE('text/event-stream')
}

/** A POST body must be `application/json` (charset and other parameters aside). */
export function requireJsonBody (request: FastifyRequest): void {
  const type = request.headers['content-type']
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) throw new FST_MCP_TRANSPORT_UNSUPPORTED_MEDIA_TYPE()
}

/**
 * `MCP-Protocol-Version` of a 2025-era request, when sent; an unsupported value is 400
 * (transports: "Protocol Version Header"). 2026-07-28 requests never come here (see `era.ts`).
 */
export function readProtocolVersion (request: FastifyRequest): HandshakeVersion | undefined {
  const version = request.headers['mcp-protocol-version']
  if (version === undefined) return undefined
  if (!isHandshakeVersion(version)) throw new FST_MCP_TRANSPORT_UNSUPPORTED_VERSION(String(version), HANDSHAKE_VERSIONS.join(', '))
  return version
}

export function readSessionId (request: FastifyRequest): string | undefined {
  const id = request.headers['mcp-session-id']
  return typeof id === 'string' && id !== '' ? id : undefined
}

const EXPOSED = ['Mcp-Session-Id', 'WWW-Authenticate']

/**
 * When the app answers cross-origin requests (CORS), browser clients must be able to read the
 * session id and auth challenges: adds them to `Access-Control-Expose-Headers` (once).
 */
export function exposeMcpHeaders (reply: FastifyReply): void {
  if (!reply.hasHeader('access-control-allow-origin')) return
  const exposed = String(reply.getHeader('access-control-expose-headers') ?? '')
  const present = new Set(exposed.split(',').map((name) => name.trim().toLowerCase()))
  const missing = EXPOSED.filter((name) => !present.has(name.toLowerCase()))
  if (missing.length === 0) return
  reply.header('access-control-expose-headers', exposed.trim() === '' ? missing.join(', ') : `${exposed}, ${missing.join(', ')}`)
}
