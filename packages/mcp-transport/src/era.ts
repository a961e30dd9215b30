import {
  ENVELOPE_VERSIONS, envelopeClaim, isEnvelopeVersion, readEnvelope,
  type EnvelopeVersion, type InboundMessage, type McpServer, type RequestEnvelope
} from '@mcp-fastify/mcp-protocol'
import type { FastifyRequest } from 'fastify'
import {
  answering, FST_MCP_TRANSPORT_HEADER_MISMATCH, type McpHttpError, FST_MCP_TRANSPORT_INVALID_ENVELOPE, FST_MCP_TRANSPORT_UNSUPPORTED_ENVELOPE_VERSION
} from './errors.ts'
import { checkParamHeaders, checkStandardHeaders } from './mirrored-headers.ts'

/** Which era a POSTed message belongs to; a modern one comes with its checked envelope. */
export type Era =
  | { era: 'legacy' }
  | { era: 'modern', version: EnvelopeVersion, envelope: RequestEnvelope }

const LEGACY: Era = Object.freeze({ era: 'legacy' })

/**
 * Decides, once and at the edge, whether a message is 2026-07-28 traffic (stateless, its
 * envelope in `params._meta`) or 2025 traffic (sessions), and refuses a modern message whose
 * envelope or headers are wrong with the modern codes, so a dual-era client reads a modern
 * server (never a 2025 "session required"). Body first; the header is a cross-check:
 *
 * 1. Responses and batches are 2025 (batches never reach here).
 * 2. No protocol-version claim in `_meta`: a 2026 `MCP-Protocol-Version` header means the
 *    envelope is missing (-32602; `initialize` under a 2026 header: -32020); otherwise 2025.
 * 3. A claim: modern. In this order, as the conformance suite expects: the header must be
 *    there (-32020), the envelope whole (-32602), the header equal to the claim (-32020), the
 *    version one served here (-32022, with the supported list), then `Mcp-Method`, `Mcp-Name`
 *    and a tool's `Mcp-Param-*` headers equal to the body (-32020).
 */
export function classify (request: FastifyRequest, inbound: Exclude<InboundMessage, { kind: 'invalid' }>, server: McpServer): Era {
  if (inbound.kind === 'response') return LEGACY
  const { message } = inbound
  const id = 'id' in message ? message.id : undefined
  const header = request.headers['mcp-protocol-version']
  const claim = envelopeClaim(message.params)
  if (claim === undefined) {
    if (!isEnvelopeVersion(header)) return LEGACY
    if (message.method === 'initialize') {
      throw answering(new FST_MCP_TRANSPORT_HEADER_MISMATCH(`initialize is not a method of MCP-Protocol-Version ${header}`), id)
    }
    const reading = readEnvelope(message.params)
    if (!reading.ok) throw answering(new FST_MCP_TRANSPORT_INVALID_ENVELOPE(reading.message), id, { envelope: reading.problem })
  }
  if (header === undefined) {
    throw answering(new FST_MCP_TRANSPORT_HEADER_MISMATCH('the MCP-Protocol-Version header is required'), id)
  }
  const reading = readEnvelope(message.params)
  if (!reading.ok) throw answering(new FST_MCP_TRANSPORT_INVALID_ENVELOPE(reading.message), id, { envelope: reading.problem })
  if (header !== claim) {
    throw answering(new FST_MCP_TRANSPORT_HEADER_MISMATCH(`the MCP-Protocol-Version header (${String(header)}) does not match _meta (${String(claim)})`), id)
  }
  if (!isEnvelopeVersion(claim)) {
    throw answering(new FST_MCP_TRANSPORT_UNSUPPORTED_ENVELOPE_VERSION(String(claim)), id, { supported: [...ENVELOPE_VERSIONS], requested: claim })
  }
  try {
    checkStandardHeaders(request.headers, message)
    if (message.method === 'tools/call') {
      const { name, arguments: args } = message.params as { name?: unknown, arguments?: Record<string, unknown> }
      const mirrored = typeof name === 'string' ? server.headerParams(name) : []
      if (mirrored.length > 0) checkParamHeaders(request.headers, mirrored, args)
    }
  } catch (error) {
    throw answering(error as McpHttpError, id)
  }
  return { era: 'modern', version: claim, envelope: reading.envelope }
}
