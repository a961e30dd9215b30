import { reportFailure } from '@mcp-fastify/mcp-protocol'
import { checkPrefix, luaScript, sessionTag, type RedisClient } from './redis-connection.ts'
import type { CreateOutcome, SessionCaps, SessionChanges, SessionRecord, SessionStore } from './store.ts'
import { checkChanges, checkSession, checkTouched, parseJson, publishDropped, type DropReport } from './wire.ts'

// A record is a hash, `s:{<id>}`, that expires `ttlMs` after its last touch; the braces make it a
// hash tag, so every key of one session is in one cluster slot.
//
// The caps count live records in an index of three keys that share one slot of their own
// (`{<prefix>index}`), so one script checks both caps and adds a record to the index atomically:
// `sessions` (a sorted set: id -> expiry, by Redis' clock), `owners` (a hash: id -> principal)
// and `counts` (a hash: principal -> live records). Expired members are pruned, in bounded
// batches, by the scripts that count; the keys expire with their last member. A principal whose
// sessions all ended leaves nothing behind.
//
// A record and the index are in different slots on a cluster, so they are written by two
// scripts, one after the other: the index first when creating (the cap is a reservation, undone
// if the record cannot be written), the record first when touching and deleting.
//
// The index is not written on every touch: an entry's expiry is set a tenth of `ttlMs` past the
// record's (the record remembers it, field `x`), and a touch writes the index again only once
// the record would outlive it. A request is then one command (the record's slot), and the
// index's slot, which every node shares, sees about one write per session per tenth of `ttlMs`
// of use; the price is that an expired session may count against the caps for up to a tenth of
// `ttlMs` more.

/** Expired index members pruned per script run at most, so no run blocks Redis for long. */
const PRUNE_BATCH = 1000

const INDEX = `
local sessions, owners, counts = KEYS[1], KEYS[2], KEYS[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function unindex (id)
  redis.call('ZREM', sessions, id)
  local owner = redis.call('HGET', owners, id)
  if owner then
    redis.call('HDEL', owners, id)
    if redis.call('HINCRBY', counts, owner, -1) <= 0 then redis.call('HDEL', counts, owner) end
  end
end
local function prune ()
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', sessions, '-inf', now, 'LIMIT', 0, ${PRUNE_BATCH})) do unindex(id) end
end
local function index (id, expires, principal)
  redis.call('ZADD', sessions, expires, id)
  if principal ~= '' and not redis.call('HGET', owners, id) then
    redis.call('HSET', owners, id, principal)
    redis.call('HINCRBY', counts, principal, 1)
  end
  local last = redis.call('ZRANGE', sessions, -1, -1, 'WITHSCORES')
  local ttl = math.max(1, tonumber(last[2]) - now)
  redis.call('PEXPIRE', sessions, ttl)
  redis.call('PEXPIRE', owners, ttl)
  redis.call('PEXPIRE', counts, ttl)
end
`

// ARGV: id, ttlMs (with the index's margin), maxSessions, principal ('' for none),
// maxSessionsPerPrincipal (0: unlimited). 0: reserved; 1: maxSessions reached; 2: the principal's
// cap reached.
const RESERVE = luaScript(`${INDEX}
prune()
local id, ttl, max, principal, owned = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local known = redis.call('ZSCORE', sessions, id)
local live = redis.call('ZCARD', sessions)
if known then live = live - 1 end
if live >= max then return 1 end
local owner = redis.call('HGET', owners, id)
if principal ~= '' and owned > 0 then
  local held = tonumber(redis.call('HGET', counts, principal) or '0')
  if owner == principal then held = held - 1 end
  if held >= owned then return 2 end
end
if known then unindex(id) end
index(id, now + ttl, principal)
return 0`)

// ARGV: id, expiry (ms since the epoch), principal ('' for none). Puts back an entry pruned
// meanwhile (a touch that failed half-way).
const TOUCH_INDEX = luaScript(`${INDEX}
index(ARGV[1], tonumber(ARGV[2]), ARGV[3])
return 1`)

const UNINDEX = luaScript(`${INDEX}
unindex(ARGV[1])
return 1`)

// ARGV: principal ('' for all).
const COUNT = luaScript(`${INDEX}
prune()
if ARGV[1] == '' then return redis.call('ZCARD', sessions) end
return tonumber(redis.call('HGET', counts, ARGV[1]) or '0')`)

// KEYS: the record. ARGV: ttlMs, then field, value pairs. A record stored before under the id
// (recovery) is replaced whole.
const CREATE = luaScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`)

// ARGV: ttlMs, the index's margin. Returns log level, subscriptions, principal, and the expiry
// the index must be given now (0: it need not be written).
const TOUCH = luaScript(`
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return false end
local fields = redis.call('HMGET', KEYS[1], 'l', 'u', 'p', 'x')
local t = redis.call('TIME')
local expires = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local indexed = 0
if expires > (tonumber(fields[4]) or 0) then
  indexed = expires + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'x', indexed)
end
return { fields[1], fields[2], fields[3], indexed }`)

const UPDATE = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`)

/** How far past a record's expiry its index entry is set: a touch writes the index once per this much use. */
function margin (ttlMs: number): number {
  return Math.ceil(ttlMs / 10)
}

/**
 * Session records in Redis, shared by every node: any node can serve any session. Works on a
 * single Redis and on a Redis Cluster (ioredis `Cluster`).
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisClient
  readonly #prefix: string
  readonly #dropped: DropReport
  readonly #index: [string, string, string]

  constructor (redis: RedisClient, prefix = 'mcp:', dropped: DropReport = publishDropped) {
    this.#redis = redis
    this.#prefix = checkPrefix(prefix)
    this.#dropped = dropped
    const tag = `{${prefix}index}`
    this.#index = [`${prefix}${tag}:sessions`, `${prefix}${tag}:owners`, `${prefix}${tag}:counts`]
  }

  async create (record: SessionRecord, ttlMs: number, caps?: SessionCaps): Promise<CreateOutcome> {
    const principal = record.principal ?? ''
    const reserved = await RESERVE(this.#redis, this.#index,
      [record.id, ttlMs + margin(ttlMs), caps?.maxSessions ?? Number.MAX_SAFE_INTEGER, principal, caps?.maxSessionsPerPrincipal ?? 0])
    if (reserved === 1) return 'session-limit'
    if (reserved === 2) return 'principal-limit'
    const fields: string[] = [
      'v', record.protocolVersion,
      'c', JSON.stringify(record.clientCapabilities),
      'u', JSON.stringify(record.subscriptions),
      't', String(record.createdAt)
    ]
    if (record.clientInfo !== undefined) fields.push('i', JSON.stringify(record.clientInfo))
    if (record.logLevel !== undefined) fields.push('l', record.logLevel)
    if (record.principal !== undefined) fields.push('p', record.principal)
    try {
      await CREATE(this.#redis, [this.#key(record.id)], [ttlMs, ...fields])
    } catch (error) {
      // The reservation goes with the record that could not be written (if Redis lets us).
      await UNINDEX(this.#redis, this.#index, [record.id]).catch((error: unknown) => reportFailure('session', 'remove a refused session from the index', error))
      throw error
    }
    return 'created'
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
    const reply = await TOUCH(this.#redis, [this.#key(id)], [ttlMs, margin(ttlMs)])
    if (reply === null) return undefined
    const touched = checkTouched(reply, this.#dropped)
    if (touched === undefined) return {}
    const [logLevel, subscriptions, principal, indexed] = touched
    if (indexed > 0) await TOUCH_INDEX(this.#redis, this.#index, [id, indexed, principal ?? ''])
    // No log level stored: none set (it may have been reset); no subscriptions: left as known.
    const changes = subscriptions === null
      ? { logLevel: logLevel ?? undefined }
      : { logLevel: logLevel ?? undefined, subscriptions: parseJson(subscriptions) }
    return checkChanges(changes, this.#dropped) ?? {}
  }

  async update (id: string, changes: SessionChanges): Promise<void> {
    const fields: string[] = []
    if (changes.logLevel !== undefined) fields.push('l', changes.logLevel)
    if (changes.subscriptions !== undefined) fields.push('u', JSON.stringify(changes.subscriptions))
    if (fields.length > 0) await UPDATE(this.#redis, [this.#key(id)], fields)
  }

  async delete (id: string): Promise<boolean> {
    const deleted = await this.#redis.del(this.#key(id))
    await UNINDEX(this.#redis, this.#index, [id])
    return deleted === 1
  }

  async count (principal?: string): Promise<number> {
    return Number(await COUNT(this.#redis, this.#index, [principal ?? '']))
  }

  async ping (): Promise<void> {
    await this.#redis.ping()
  }

  async close (): Promise<void> {}

  #key (id: string): string {
    return `${this.#prefix}s:${sessionTag(id)}`
  }
}
