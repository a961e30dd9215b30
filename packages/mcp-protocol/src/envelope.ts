import { META, RequestEnvelopeSchema, type RequestEnvelope } from './schema/index.ts'
import { keepNothing, type ClientSession } from './session.ts'
import { compile } from './validation.ts'
import type { EnvelopeVersion } from './versions.ts'

/** What is wrong with a request's `_meta` envelope: said in the error's `data.envelope`. */
export type EnvelopeProblem = { missing: string[] } | { key: string, problem: string }

export type EnvelopeReading =
  | { ok: true, envelope: RequestEnvelope }
  | { ok: false, message: string, problem: EnvelopeProblem }

const REQUIRED = [META.protocolVersion, META.clientCapabilities]
const envelope = compile(RequestEnvelopeSchema)

/** The `_meta` of `params`, when it is an object. */
function metaOf (params: unknown): Record<string, unknown> | undefined {
  const meta = typeof params === 'object' && params !== null ? (params as { _meta?: unknown })._meta : undefined
  return typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? meta as Record<string, unknown> : undefined
}

/** The protocol version a request claims in its `_meta` (2026-07-28 and later), if it claims one. */
export function envelopeClaim (params: unknown): unknown {
  const meta = metaOf(params)
  return meta !== undefined && META.protocolVersion in meta ? meta[META.protocolVersion] : undefined
}

/**
 * Reads and checks the envelope every 2026-07-28 request carries in `params._meta`: the protocol
 * version and client capabilities are required, client info and log level optional.
 */
export function readEnvelope (params: unknown): EnvelopeReading {
  const meta = metaOf(params)
  if (meta === undefined) {
    return { ok: false, message: 'the request has no _meta envelope (protocol version and client capabilities)', problem: { missing: ['_meta'] } }
  }
  const missing = REQUIRED.filter((key) => !(key in meta))
  if (missing.length > 0) {
    return { ok: false, message: `the request's _meta is missing ${missing.join(' and ')}`, problem: { missing } }
  }
  if (envelope.check(meta)) return { ok: true, envelope: meta }
  const explained = envelope.explain(meta)
  const key = /^\/([^/:]+)/.exec(explained)?.[1]?.replace(/~1/g, '/') ?? '_meta'
  return { ok: false, message: `invalid _meta: ${explained}`, problem: { key, problem: explained } }
}

/** The client of one 2026-07-28 request, as its envelope describes it; nothing is kept. */
export function envelopeSession (protocolVersion: EnvelopeVersion, meta: RequestEnvelope, principal?: string): ClientSession {
  return {
    id: undefined,
    protocolVersion,
    clientCapabilities: meta[META.clientCapabilities],
    clientInfo: meta[META.clientInfo],
    logLevel: meta[META.logLevel],
    principal,
    // The methods that would change these do not exist in this era.
    setLogLevel: keepNothing,
    subscribe: keepNothing,
    unsubscribe: keepNothing
  }
}
