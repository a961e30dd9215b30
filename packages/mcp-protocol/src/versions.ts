/**
 * Every decision that depends on the protocol revision is made here, so one endpoint can serve
 * several revisions (and, later, the stateless 2026 era) without version checks spread around.
 */

/** The revisions this engine speaks, newest first. Dates compare as strings. */
export const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const

export type ProtocolVersion = typeof PROTOCOL_VERSIONS[number]

export const LATEST_PROTOCOL_VERSION: ProtocolVersion = PROTOCOL_VERSIONS[0]

/**
 * What a Streamable HTTP server assumes when a request carries no `MCP-Protocol-Version` header
 * and the version cannot be known otherwise (2025-06-18, transports: "Protocol Version Header").
 */
export const DEFAULT_HTTP_PROTOCOL_VERSION: ProtocolVersion = '2025-03-26'

export function isSupportedVersion (version: unknown): version is ProtocolVersion {
  return typeof version === 'string' && (PROTOCOL_VERSIONS as readonly string[]).includes(version)
}

/** Lifecycle: echo a supported requested version, otherwise answer with our latest. */
export function negotiateVersion (requested: unknown): ProtocolVersion {
  return isSupportedVersion(requested) ? requested : LATEST_PROTOCOL_VERSION
}

export interface VersionFeatures {
  /** JSON-RPC batches may be received (2025-03-26 and earlier; removed in 2025-06-18). */
  readonly batches: boolean
  /** The client sends `MCP-Protocol-Version` on every request after initialization. */
  readonly protocolVersionHeader: boolean
  /** `elicitation/create` exists. */
  readonly elicitation: boolean
  /** Tools may declare `outputSchema` and return `structuredContent`. */
  readonly structuredContent: boolean
  /**
   * SSE streams start with a priming event (an id and an empty `data`) and may be closed by the
   * server before the response (polling). Older clients fail on an empty `data` field.
   */
  readonly primingEvents: boolean
}

const features = new Map<ProtocolVersion, VersionFeatures>(PROTOCOL_VERSIONS.map((version) => [version, {
  batches: version <= '2025-03-26',
  protocolVersionHeader: version >= '2025-06-18',
  elicitation: version >= '2025-06-18',
  structuredContent: version >= '2025-06-18',
  primingEvents: version >= '2025-11-25'
}]))

export function versionFeatures (version: ProtocolVersion): VersionFeatures {
  return features.get(version)!
}
