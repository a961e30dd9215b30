import { LruMap } from 'toad-cache'
import type { McpAuthInfo } from './claims.ts'

interface Entry {
  auth: McpAuthInfo
  /** Until when (ms) the verification holds: the token's expiry plus the clock skew, or the cache's TTL. */
  until: number
}

/**
 * Verified tokens of one endpoint, so a token presented again is not decoded and verified again
 * (the signature check is most of the cost of a request). Bounded and least-recently-used
 * (toad-cache's LruMap): past `size` entries, the token unused for longest goes. An entry never
 * outlives the token (`exp` + clock skew) nor `ttlMs`. Refusals are not kept.
 */
export class VerifiedTokens {
  readonly #entries: LruMap<Entry> | undefined
  readonly #ttlMs: number
  readonly #toleranceMs: number

  constructor (size: number, ttlMs: number, toleranceMs: number) {
    this.#entries = size === 0 ? undefined : new LruMap<Entry>(size)
    this.#ttlMs = ttlMs
    this.#toleranceMs = toleranceMs
  }

  get (token: string, now: number): McpAuthInfo | undefined {
    const entry = this.#entries?.get(token)
    if (entry === undefined) return undefined
    if (entry.until > now) return entry.auth
    this.#entries!.delete(token)
    return undefined
  }

  set (token: string, auth: McpAuthInfo, now: number): void {
    if (this.#entries === undefined) return
    const expiry = auth.expiresAt === undefined ? Infinity : auth.expiresAt * 1000 + this.#toleranceMs
    const until = Math.min(expiry, now + this.#ttlMs)
    if (until > now) this.#entries.set(token, { auth, until })
  }
}
