import { randomBytes } from 'node:crypto'
import type { RequestId } from '@mcp-fastify/mcp-protocol'

/**
 * The id of a POST stream says who writes it and what it answers, so a node that follows it
 * (a client resumed it there) needs nothing else: `<node><random><request>`, within the event
 * id grammar (`[A-Za-z0-9_-]{1,64}`):
 *
 * - the writer's node id (8 characters): the node to probe;
 * - 72 random bits (12 characters);
 * - the JSON-RPC id of the request it answers, when there is one and it fits: `n` and an
 *   integer (`n42`, `n-1`), `s` and a string of id characters (`sb2f1...`), `j` and the
 *   base64url of any other id's JSON. An id that does not fit (longer, or a batch) is left out:
 *   a follower then answers without an id.
 */
const NODE_LENGTH = 8
const REQUEST_AT = NODE_LENGTH + 12
const MAX_LENGTH = 64
const ID_CHARACTERS = /^[A-Za-z0-9_-]*$/
/** Random bytes per stream id (12 base64url characters), and stream ids drawn from one call to the CSPRNG. */
const RANDOM_BYTES = 9
const RANDOM_LENGTH = 12
const IDS_PER_DRAW = 256

// A call to the CSPRNG costs about as much as the rest of an SSE answer's bookkeeping (OpenSSL
// checks its process id with a system call every time): bytes are drawn for 256 ids at once,
// as Node's randomUUID() caches its own, and encoded at once (9 bytes are 12 characters exactly).
let drawn = ''
let used = 0

function randomPart (): string {
  if (used === drawn.length) {
    drawn = randomBytes(RANDOM_BYTES * IDS_PER_DRAW).toString('base64url')
    used = 0
  }
  const part = drawn.slice(used, used + RANDOM_LENGTH)
  used += RANDOM_LENGTH
  return part
}

/** A new stream id for node `node`, carrying `requestId` when it fits. */
export function postStreamId (node: string, requestId?: RequestId): string {
  const base = `${node}${randomPart()}`
  if (requestId === undefined) return base
  const request = encodeRequestId(requestId)
  return base.length + request.length <= MAX_LENGTH ? `${base}${request}` : base
}

/** The node that writes a POST stream. */
export function writerOf (streamId: string): string {
  return streamId.slice(0, NODE_LENGTH)
}

/** The JSON-RPC id of the request a POST stream answers; `undefined` when its id does not say. */
export function requestIdOf (streamId: string): RequestId | undefined {
  const kind = streamId[REQUEST_AT]
  const value = streamId.slice(REQUEST_AT + 1)
  if (kind === 'n' && /^-?\d{1,16}$/.test(value)) {
    const id = Number(value)
    return Number.isSafeInteger(id) ? id : undefined
  }
  if (kind === 's') return value
  if (kind === 'j') {
    try {
      const id: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))
      return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined
    } catch {
      return undefined
    }
  }
  return undefined
}

function encodeRequestId (id: RequestId): string {
  if (typeof id === 'number' && Number.isSafeInteger(id)) return `n${id}`
  if (typeof id === 'string' && ID_CHARACTERS.test(id)) return `s${id}`
  return `j${Buffer.from(JSON.stringify(id), 'utf8').toString('base64url')}`
}
