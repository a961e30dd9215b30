/**
 * Every decision that depends on the protocol revision is made from the table here, so one
 * endpoint serves every revision, of both eras, without version checks spread around.
 *
 * Two eras: the 2025 revisions are negotiated once, by `initialize` (handshake versions), and a
 * session keeps the result; 2026-07-28 is named on every request, in its `_meta` envelope
 * (envelope versions), and nothing is kept between requests.
 */

/** Revisions a client negotiates with `initialize`, newest first. Dates compare as strings. */
export const HANDSHAKE_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const

/** Revisions a client names on every request, in `params._meta`, newest first. */
export const ENVELOPE_VERSIONS = ['2026-07-28'] as const

/** Every revision this engine speaks, newest first. */
export const PROTOCOL_VERSIONS = [...ENVELOPE_VERSIONS, ...HANDSHAKE_VERSIONS] as const

export type HandshakeVersion = typeof HANDSHAKE_VERSIONS[number]
export type EnvelopeVersion = typeof ENVELOPE_VERSIONS[number]
export type ProtocolVersion = HandshakeVersion | EnvelopeVersion

/** What `initialize` answers when the client asks for a revision it does not know. */
export const LATEST_PROTOCOL_VERSION: HandshakeVersion = HANDSHAKE_VERSIONS[0]

/**
 * What a Streamable HTTP server assumes when a request carries no `MCP-Protocol-Version` header
 * and the version cannot be known otherwise (2025-06-18, transports: "Protocol Version Header").
 */
export const DEFAULT_HTTP_PROTOCOL_VERSION: HandshakeVersion = '2025-03-26'

export function isSupportedVersion (version: unknown): version is ProtocolVersion {
  return typeof version === 'string' && (PROTOCOL_VERSIONS as readonly string[]).includes(version)
}

export function isHandshakeVersion (version: unknown): version is HandshakeVersion {
  return typeof version === 'string' && (HANDSHAKE_VERSIONS as readonly string[]).includes(version)
}

export function isEnvelopeVersion (version: unknown): version is EnvelopeVersion {
  return typeof version === 'string' && (ENVELOPE_VERSIONS as readonly string[]).includes(version)
}

/** Lifecycle: echo a supported requested handshake version, otherwise answer with our latest. */
export function negotiateVersion (requested: unknown): HandshakeVersion {
  return isHandshakeVersion(requested) ? requested : LATEST_PROTOCOL_VERSION
}

export interface VersionFeatures {
  /** `modern`: stateless, per-request envelope (2026-07-28); `legacy`: sessions (2025). */
  readonly era: 'legacy' | 'modern'
  /** JSON-RPC batches may be received (2025-03-26 and earlier; removed in 2025-06-18). */
  readonly batches: boolean
  /** The client sends `MCP-Protocol-Version` on every request after initialization. */
  readonly protocolVersionHeader: boolean
  /** `elicitation/create` exists. */
  readonly elicitation: boolean
  /** Tools may declare `outputSchema` and return `structuredContent`. */
  readonly structuredContent: boolean
  /** `title` on tools, resources, prompts and their arguments (2025-06-18). */
  readonly titles: boolean
  /** `icons` on tools, resources, prompts and `serverInfo` (2025-11-25). */
  readonly icons: boolean
  /**
   * SSE streams start with a priming event (an id and an empty `data`) and may be closed by the
   * server before the response (polling). Older clients fail on an empty `data` field.
   */
  readonly primingEvents: boolean
  /**
   * Results carry `resultType`, `serverInfo` in their `_meta`, and caching hints (`ttlMs`,
   * `cacheScope`) where the revision asks for them (2026-07-28).
   */
  readonly resultEnvelope: boolean
  /**
   * How the server asks the client for input (sampling, elicitation, roots): `requests` sent on
   * the stream (2025), or `inputRequired` results the client answers by retrying (2026, MRTR).
   */
  readonly clientInput: 'requests' | 'inputRequired'
  /**
   * `notifications/message` only when the request carried `logLevel` (2026-07-28); otherwise
   * an unset level lets everything through.
   */
  readonly logOnlyWhenAsked: boolean
  /** The code of `resources/read` for a URI nothing serves: -32002 (2025), -32602 (2026). */
  readonly resourceNotFoundCode: number
  /**
   * How long-running tool calls become tasks: `extension` (the tasks extension, SEP-2663,
   * 2026-07-28, declared per request), `experimental` (2025-11-25's tasks, SEP-1686: asked for
   * with `params.task`; `execution.taskSupport` on tools, `capabilities.tasks`), or `none`.
   */
  readonly tasks: 'extension' | 'experimental' | 'none'
  /**
   * The extensions (SEP-2133) a server may advertise to the revision: none before 2025-06-18;
   * MCP Apps from 2025-06-18 (in `initialize`); the tasks extension only on 2026-07-28.
   */
  readonly extensions: ReadonlySet<string>
}

const APPS = 'io.modelcontextprotocol/ui'
const TASKS = 'io.modelcontextprotocol/tasks'

const features = new Map<ProtocolVersion, VersionFeatures>(PROTOCOL_VERSIONS.map((version) => {
  const modern = isEnvelopeVersion(version)
  return [version, {
    era: modern ? 'modern' : 'legacy',
    batches: version <= '2025-03-26',
    protocolVersionHeader: version >= '2025-06-18',
    elicitation: version >= '2025-06-18',
    structuredContent: version >= '2025-06-18',
    titles: version >= '2025-06-18',
    icons: version >= '2025-11-25',
    primingEvents: version >= '2025-11-25' && !modern,
    resultEnvelope: modern,
    clientInput: modern ? 'inputRequired' : 'requests',
    logOnlyWhenAsked: modern,
    resourceNotFoundCode: modern ? -32602 : -32002,
    tasks: modern ? 'extension' : version === '2025-11-25' ? 'experimental' : 'none',
    extensions: new Set(modern ? [APPS, TASKS] : version >= '2025-06-18' ? [APPS] : [])
  }]
}))

export function versionFeatures (version: ProtocolVersion): VersionFeatures {
  return features.get(version)!
}
