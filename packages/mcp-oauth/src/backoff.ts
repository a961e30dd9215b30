import { FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE } from './errors.ts'

export interface BackoffSettings {
  /** The wait after a first failure, doubled after each failure that follows. */
  minMs: number
  maxMs: number
}

/** The 503 of a request that cannot be judged now, with the seconds of its `Retry-After`. */
export type UnavailableError = InstanceType<typeof FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE> & { retryAfter: number }

/**
 * The 503 a request gets while the authorization server cannot be had: the same words for every
 * cause (the cause goes to the log, never to the client, who must not learn internal URLs or
 * upstream errors), and when to come back.
 */
export function unavailable (waitMs: number): UnavailableError {
  const error = new FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE() as UnavailableError
  error.retryAfter = Math.max(1, Math.ceil(waitMs / 1000))
  return error
}

export function isUnavailable (error: unknown): error is UnavailableError {
  return error instanceof FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE
}

/**
 * What this node remembers of the issuer's failures (a negative cache): after one, the issuer is
 * not asked again for `minMs`, then twice as long after each failure that follows, up to `maxMs`;
 * a success forgets them. Meanwhile requests that need the issuer get 503 at once, and what is
 * already known (metadata, keys, introspection answers) keeps serving.
 */
export class Backoff {
  readonly #settings: BackoffSettings
  #failures = 0
  #until = 0

  constructor (settings: BackoffSettings) {
    this.#settings = settings
  }

  /** How long (ms) before the issuer may be asked again; 0 when it may now. */
  wait (now: number): number {
    return Math.max(0, this.#until - now)
  }

  /** Records a failure; returns the wait before the next attempt. */
  failed (now: number): number {
    this.#failures++
    const wait = Math.min(this.#settings.maxMs, this.#settings.minMs * 2 ** Math.min(this.#failures - 1, 30))
    this.#until = now + wait
    return wait
  }

  succeeded (): void {
    this.#failures = 0
    this.#until = 0
  }
}
