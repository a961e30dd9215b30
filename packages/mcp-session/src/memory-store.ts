import type { SessionChanges, SessionRecord, SessionStore } from './store.ts'

interface Entry {
  record: SessionRecord
  expiresAt: number
}

/** Session records in this process; expired ones are dropped when read or swept. */
export class MemorySessionStore implements SessionStore {
  readonly #entries = new Map<string, Entry>()

  async create (record: SessionRecord, ttlMs: number): Promise<void> {
    this.#entries.set(record.id, { record, expiresAt: Date.now() + ttlMs })
  }

  async get (id: string): Promise<SessionRecord | undefined> {
    return this.#live(id)?.record
  }

  async touch (id: string, ttlMs: number): Promise<boolean> {
    const entry = this.#live(id)
    if (entry === undefined) return false
    entry.expiresAt = Date.now() + ttlMs
    return true
  }

  async update (id: string, changes: SessionChanges): Promise<void> {
    const entry = this.#live(id)
    if (entry !== undefined) Object.assign(entry.record, changes)
  }

  async delete (id: string): Promise<boolean> {
    return this.#entries.delete(id)
  }

  async count (): Promise<number> {
    return this.#entries.size
  }

  async close (): Promise<void> {
    this.#entries.clear()
  }

  #live (id: string): Entry | undefined {
    const entry = this.#entries.get(id)
    if (entry === undefined) return undefined
    if (entry.expiresAt > Date.now()) return entry
    this.#entries.delete(id)
    return undefined
  }
}
