import type { Redis } from 'ioredis'
import { luaScript } from './redis-connection.ts'
import type { SessionChanges, SessionRecord, SessionStore } from './store.ts'
import { checker, parseJson, publishDropped, SessionChangesSchema, StoredSessionSchema, type DropReport } from './wire.ts'

const checkSession = checker(StoredSessionSchema, 'redis', 'session record')
const checkChanges = checker(SessionChangesSchema, 'redis', 'session record')

// A record is a hash (`s:<id>`) that expires; the sorted sets `sessions` and `p:<principal>`
// index live records by expiry time, for the caps on sessions.
const TOUCH = luaScript(`
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return false end
local expires = tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], expires, ARGV[3])
local fields = redis.call('HMGET', KEYS[1], 'p', 'l', 'u')
if fields[1] then redis.call('ZADD', ARGV[4] .. fields[1], expires, ARGV[3]) end
return { fields[2] or '', fields[3] or '[]' }`)

const UPDATE = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`)

const DELETE = luaScript(`
local principal = redis.call('HGET', KEYS[1], 'p')
local deleted = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if principal then redis.call('ZREM', ARGV[2] .. principal, ARGV[1]) end
return deleted`)

const COUNT = luaScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[1])`)

/** Session records in Redis, shared by every node: any node can serve any session. */
export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis
  readonly #prefix: string
  readonly #dropped: DropReport

  constructor (redis: Redis, prefix = 'mcp:', dropped: DropReport = publishDropped) {
    this.#redis = redis
    this.#prefix = prefix
    this.#dropped = dropped
  }

  async create (record: SessionRecord, ttlMs: number): Promise<void> {
    const key = this.#key(record.id)
    const fields: Record<string, string> = {
      v: record.protocolVersion,
      c: JSON.stringify(record.clientCapabilities),
      u: JSON.stringify(record.subscriptions),
      t: String(record.createdAt)
    }
    if (record.clientInfo !== undefined) fields.i = JSON.stringify(record.clientInfo)
    if (record.logLevel !== undefined) fields.l = record.logLevel
    if (record.principal !== undefined) fields.p = record.principal
    const expires = Date.now() + ttlMs
    const multi = this.#redis.multi().hset(key, fields).pexpire(key, ttlMs).zadd(this.#index(), expires, record.id)
    if (record.principal !== undefined) multi.zadd(this.#principalIndex(record.principal), expires, record.id)
    await multi.exec()
  }

  /** A record that is not one of ours (garbage in its key) is reported and counts as none. */
  async get (id: string): Promise<SessionRecord | undefined> {
    const fields = await this.#redis.hgetall(this.#key(id))
    if (fields.v === undefined) return undefined
    const stored = checkSession({
      ...fields,
      c: parseJson(fields.c ?? '{}'),
      i: fields.i === undefined ? undefined : parseJson(fields.i),
      u: parseJson(fields.u ?? '[]')
    }, this.#dropped)
    if (stored === undefined) return undefined
    return {
      id,
      protocolVersion: stored.v,
      clientCapabilities: stored.c,
      clientInfo: stored.i,
      logLevel: stored.l,
      subscriptions: stored.u,
      principal: stored.p,
      createdAt: Number(stored.t)
    }
  }

  /** What cannot be read back is reported, and left as the node holding the session knows it. */
  async touch (id: string, ttlMs: number): Promise<SessionChanges | undefined> {
    const touched = await TOUCH.run(this.#redis, [this.#key(id), this.#index()], [ttlMs, Date.now() + ttlMs, id, `${this.#prefix}p:`]) as [string, string] | null
    if (touched === null) return undefined
    const [logLevel, subscriptions] = touched
    const changes = checkChanges({ logLevel: logLevel === '' ? undefined : logLevel, subscriptions: parseJson(subscriptions) }, this.#dropped)
    return changes ?? {}
  }

  async update (id: string, changes: SessionChanges): Promise<void> {
    const fields: string[] = []
    if (changes.logLevel !== undefined) fields.push('l', changes.logLevel)
    if (changes.subscriptions !== undefined) fields.push('u', JSON.stringify(changes.subscriptions))
    if (fields.length > 0) await UPDATE.run(this.#redis, [this.#key(id)], fields)
  }

  async delete (id: string): Promise<boolean> {
    return await DELETE.run(this.#redis, [this.#key(id), this.#index()], [id, `${this.#prefix}p:`]) === 1
  }

  async count (principal?: string): Promise<number> {
    const index = principal === undefined ? this.#index() : this.#principalIndex(principal)
    return Number(await COUNT.run(this.#redis, [index], [Date.now()]))
  }

  async ping (): Promise<void> {
    await this.#redis.ping()
  }

  async close (): Promise<void> {}

  #key (id: string): string {
    return `${this.#prefix}s:${id}`
  }

  #index (): string {
    return `${this.#prefix}sessions`
  }

  #principalIndex (principal: string): string {
    return `${this.#prefix}p:${principal}`
  }
}
