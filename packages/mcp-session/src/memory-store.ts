import type { CreateOutcome, SessionCaps, SessionChanges, SessionRecord, SessionStore } from './store.ts'

interface Entry {
  record: SessionRecord
  expiresAt: number
}

/**
 * A copy of `record` that shares nothing with it. Its client-given parts are JSON (from the
 * request), copied through JSON; a structured clone does the same for several times the cost,
 * paid for every session created.
 */
function copyRecord (record: SessionRecord): SessionRecord {
  return {
    ...record,
    clientCapabilities: JSON.parse(JSON.stringify(record.clientCapabilities)) as SessionRecord['clientCapabilities'],
    clientInfo: record.clientInfo === undefined ? undefined : JSON.parse(JSON.stringify(record.clientInfo)) as SessionRecord['clientInfo'],
    subscriptions: [...record.subscriptions]
  }
}

/** Session records in this process; expired ones are dropped when read or swept. */
export class MemorySessionStore implements SessionStore {
  readonly #entries = new Map<string, Entry>()
  /** Ids of each principal's records, for the per-principal cap. */
  readonly #byPrincipal = new Map<string, Set<string>>()
  #sweptAt = 0

  // Records are copied in and out, as a shared store would: a holder's changes reach the store
  // only through `update`. The caps are checked and the record stored with no `await` between:
  // one step, whatever else runs concurrently.
  async create (record: SessionRecord, ttlMs: number, caps?: SessionCaps): Promise<CreateOutcome> {
    if (caps !== undefined) {
      // At a cap, expired records are swept first (at most once a second: a flood of refused
      // creates does not sweep every time).
      let refusal = this.#refusal(record, caps)
      if (refusal !== undefined && this.#sweep()) refusal = this.#refusal(record, caps)
      if (refusal !== undefined) return refusal
    }
    this.#remove(record.id)
    this.#entries.set(record.id, { record: copyRecord(record), expiresAt: Date.now() + ttlMs })
    if (record.principal !== undefined) {
      let ids = this.#byPrincipal.get(record.principal)
      if (ids === undefined) this.#byPrincipal.set(record.principal, ids = new Set())
      ids.add(record.id)
    }
    return 'created'
  }

  async get (id: string): Promise<SessionRecord | undefined> {
    const entry = this.#live(id)
    return entry === undefined ? undefined : copyRecord(entry.record)
  }

  async touch (id: string, ttlMs: number): Promise<SessionChanges | undefined> {
    const entry = this.#live(id)
    if (entry === undefined) return undefined
    entry.expiresAt = Date.now() + ttlMs
    // `update` replaces these values rather than changing them in place: safe to share.
    return { logLevel: entry.record.logLevel, subscriptions: entry.record.subscriptions }
  }

  async update (id: string, changes: SessionChanges): Promise<void> {
    const entry = this.#live(id)
    if (entry === undefined) return
    if ('logLevel' in changes) entry.record.logLevel = changes.logLevel
    if (changes.subscriptions !== undefined) entry.record.subscriptions = [...changes.subscriptions]
  }

  async delete (id: string): Promise<boolean> {
    return this.#remove(id)
  }

  async count (principal?: string): Promise<number> {
    this.#sweep()
    return principal === undefined ? this.#entries.size : this.#byPrincipal.get(principal)?.size ?? 0
  }

  async ping (): Promise<void> {}

  async close (): Promise<void> {
    this.#entries.clear()
    this.#byPrincipal.clear()
  }

  /**
   * Why `record` may not be created under `caps`, if it may not (expired records nobody swept
   * yet count). The record's own id, stored before (recovery), does not count against it.
   */
  #refusal (record: SessionRecord, { maxSessions, maxSessionsPerPrincipal }: SessionCaps): CreateOutcome | undefined {
    const replaced = this.#entries.get(record.id)
    if (this.#entries.size - (replaced === undefined ? 0 : 1) >= maxSessions) return 'session-limit'
    if (record.principal === undefined || maxSessionsPerPrincipal === undefined) return undefined
    const owned = (this.#byPrincipal.get(record.principal)?.size ?? 0) - (replaced?.record.principal === record.principal ? 1 : 0)
    return owned >= maxSessionsPerPrincipal ? 'principal-limit' : undefined
  }

  /**
   * Expired records are dropped when read; those nobody reads again are swept here, at most once
   * a second, so they cannot fill the caps. True when it swept.
   */
  #sweep (): boolean {
    const now = Date.now()
    if (now - this.#sweptAt < 1000) return false
    this.#sweptAt = now
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#remove(id)
    }
    return true
  }

  #live (id: string): Entry | undefined {
    const entry = this.#entries.get(id)
    if (entry === undefined) return undefined
    if (entry.expiresAt > Date.now()) return entry
    this.#remove(id)
    return undefined
  }

  #remove (id: string): boolean {
    const entry = this.#entries.get(id)
    if (entry === undefined) return false
    this.#entries.delete(id)
    const principal = entry.record.principal
    if (principal !== undefined) {
      const ids = this.#byPrincipal.get(principal)
      ids?.delete(id)
      if (ids?.size === 0) this.#byPrincipal.delete(principal)
    }
    return true
  }
}
