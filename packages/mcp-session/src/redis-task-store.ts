import { createHash } from 'node:crypto'
import type { TaskEnd, TaskNotice, TaskRecord, TaskRef, TaskStore } from '@mcp-fastify/mcp-protocol'
import type { MessageBus } from './bus.ts'
import { checkPrefix, luaScript, type RedisClient } from './redis-connection.ts'
import {
  checkTaskRecord, decodeTaskIndexEntry, decodeTaskNotice, decodeTaskValue, publishDropped, tasksTopic, type DropReport
} from './wire.ts'

// Tasks (the MCP tasks extension) in Redis, shared by every node of a cluster.
//
// A task is three hashes in the slot of its principal (`{<hash of the principal>}`): the record
// (`task:{p}:<id>`: `meta`, the JSON of what never changes; `node`; `status`; `updatedAt`;
// `statusMessage`; `result` and `error`, JSON), its pending questions (`…:q`, key -> JSON) and the
// answers no node took yet (`…:a`, key -> JSON). The principal's unfinished tasks are a sorted set
// in the same slot (`tasks:{p}:active`, id -> keepUntil), so one script checks the bound and
// creates. Every script touches one slot, and JSON is never decoded in Lua (cjson would turn an
// empty array into an object): questions and answers move between hashes whole.
//
// Nodes: a lease key each (`task-node:{<node>}`, PX), a set of the nodes that ever ran tasks
// (`{tasks}:nodes`), and per node the tasks it runs (`task-node:{<node>}:tasks`, JSON
// [principal, id]), so a node finds the tasks of dead nodes without scanning the keyspace.

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`

// KEYS: task, active. ARGV: id, keepUntil, maxActive, meta, node, updatedAt. 1: created; 0: the bound.
const CREATE = luaScript(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'meta', ARGV[4], 'node', ARGV[5], 'status', 'working', 'updatedAt', ARGV[6])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], last[2])
return 1`)

// KEYS: task, pending, answers.
const GET = luaScript(`
return { redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]) }`)

// KEYS: task, pending. ARGV: updatedAt, has a status message ('1'/'0'), the message, then key, question pairs.
const UPDATE = luaScript(`
if redis.call('HGET', KEYS[1], 'status') ~= 'working' then return 0 end
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'statusMessage', ARGV[3]) end
if #ARGV > 3 then
  redis.call('HSET', KEYS[2], unpack(ARGV, 4))
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[1])
return 1`)

// KEYS: task, pending, answers. ARGV: updatedAt, then key, answer pairs. { found, keys taken }.
const ANSWER = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0, {} } end
local taken = {}
if redis.call('HGET', KEYS[1], 'status') ~= 'working' then return { 1, taken } end
for i = 2, #ARGV, 2 do
  if redis.call('HDEL', KEYS[2], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
    taken[#taken + 1] = ARGV[i]
  end
end
if #taken > 0 then
  redis.call('HSET', KEYS[1], 'updatedAt', ARGV[1])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
end
return { 1, taken }`)

// KEYS: answers.
const TAKE = luaScript(`
local answers = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return answers`)

// KEYS: task, pending, answers, active. ARGV: id, updatedAt, status, has a status message, the
// message, result ('' for none), error ('' for none). The node that ran it, or false: ended already.
const FINISH = luaScript(`
if redis.call('HGET', KEYS[1], 'status') ~= 'working' then return false end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'updatedAt', ARGV[2])
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'statusMessage', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'result', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[7]) end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
return redis.call('HGET', KEYS[1], 'node')`)

// KEYS: a node's task index. ARGV: entry, keepUntil. Kept as long as its longest-kept task.
const INDEX = luaScript(`${NOW}
redis.call('SADD', KEYS[1], ARGV[1])
local want = tonumber(ARGV[2]) - now
if want > 0 and redis.call('PTTL', KEYS[1]) < want then redis.call('PEXPIRE', KEYS[1], want) end
return 1`)

/** What never changes in a task, stored as one JSON field. */
type Meta = Pick<TaskRecord, 'id' | 'principal' | 'tool' | 'node' | 'createdAt' | 'ttlMs' | 'pollIntervalMs' | 'keepUntil'>

/**
 * The task store of a cluster: tasks in Redis (one Redis or a Redis Cluster), signals to the node
 * running a task on the bus. Creation is strongly consistent as long as reads go to the primary
 * (ioredis' default: keep `scaleReads` off): the create script has run there before the client
 * learns the task.
 */
export class RedisTaskStore implements TaskStore {
  readonly #redis: RedisClient
  readonly #bus: MessageBus
  readonly #prefix: string
  readonly #dropped: DropReport

  constructor (redis: RedisClient, bus: MessageBus, prefix = 'mcp:', dropped: DropReport = publishDropped) {
    this.#redis = redis
    this.#bus = bus
    this.#prefix = checkPrefix(prefix)
    this.#dropped = dropped
  }

  async create (task: TaskRecord, maxActive: number): Promise<boolean> {
    const { id, principal, tool, node, createdAt, ttlMs, pollIntervalMs, keepUntil } = task
    const meta: Meta = { id, principal, tool, node, createdAt, ttlMs, pollIntervalMs, keepUntil }
    const keys = this.#keys({ principal, id })
    // Indexed under its node first: a task is never unknown to the sweeper of dead nodes.
    await INDEX(this.#redis, [this.#nodeTasks(node)], [JSON.stringify([principal, id]), keepUntil])
    const created = await CREATE(this.#redis, [keys.task, keys.active], [id, keepUntil, maxActive, JSON.stringify(meta), node, task.updatedAt])
    if (created !== 1) {
      await this.#redis.srem(this.#nodeTasks(node), JSON.stringify([principal, id]))
      return false
    }
    return true
  }

  async get (ref: TaskRef): Promise<TaskRecord | undefined> {
    const keys = this.#keys(ref)
    const [fields, pending, answers] = await GET(this.#redis, [keys.task, keys.pending, keys.answers], []) as [string[], string[], string[]]
    const record = pairs(fields)
    if (record.meta === undefined) return undefined
    const meta = decodeTaskValue(record.meta, this.#dropped) as Partial<Meta> | undefined
    if (typeof meta !== 'object' || meta === null) return undefined
    const task = checkTaskRecord({
      ...meta,
      node: record.node,
      status: record.status,
      updatedAt: Number(record.updatedAt),
      ...(record.statusMessage === undefined ? {} : { statusMessage: record.statusMessage }),
      pending: this.#values(pending),
      answers: this.#values(answers),
      ...(record.result === undefined ? {} : { result: decodeTaskValue(record.result, this.#dropped) }),
      ...(record.error === undefined ? {} : { error: decodeTaskValue(record.error, this.#dropped) })
    }, this.#dropped)
    // The key is the principal's; the record says whose it is too.
    return task !== undefined && task.principal === ref.principal && task.id === ref.id ? task : undefined
  }

  async update (ref: TaskRef, change: { ask?: TaskRecord['pending'], statusMessage?: string }): Promise<void> {
    const keys = this.#keys(ref)
    const questions = Object.entries(change.ask ?? {}).flatMap(([key, question]) => [key, JSON.stringify(question)])
    const { statusMessage } = change
    await UPDATE(this.#redis, [keys.task, keys.pending],
      [Date.now(), statusMessage === undefined ? '0' : '1', statusMessage ?? '', ...questions])
  }

  async answer (ref: TaskRef, responses: Record<string, unknown>): Promise<string[] | undefined> {
    const keys = this.#keys(ref)
    const given = Object.entries(responses).flatMap(([key, response]) => [key, JSON.stringify(response)])
    const [found, taken] = await ANSWER(this.#redis, [keys.task, keys.pending, keys.answers], [Date.now(), ...given]) as [number, string[]]
    return found === 1 ? taken : undefined
  }

  async take (ref: TaskRef): Promise<Record<string, unknown>> {
    return this.#values(await TAKE(this.#redis, [this.#keys(ref).answers], []) as string[])
  }

  async finish (ref: TaskRef, end: TaskEnd): Promise<boolean> {
    const keys = this.#keys(ref)
    const message = end.status === 'completed' ? undefined : end.statusMessage
    const node = await FINISH(this.#redis, [keys.task, keys.pending, keys.answers, keys.active], [
      ref.id, Date.now(), end.status, message === undefined ? '0' : '1', message ?? '',
      end.status === 'completed' ? JSON.stringify(end.result) : '',
      end.status === 'failed' ? JSON.stringify(end.error) : ''
    ])
    if (typeof node !== 'string') return false
    await this.#redis.srem(this.#nodeTasks(node), JSON.stringify([ref.principal, ref.id]))
    return true
  }

  async heartbeat (node: string, leaseMs: number): Promise<void> {
    await Promise.all([
      this.#redis.set(this.#lease(node), '1', 'PX', leaseMs),
      this.#redis.sadd(this.#nodes(), node)
    ])
  }

  async alive (node: string): Promise<boolean> {
    return await this.#redis.exists(this.#lease(node)) === 1
  }

  async leave (node: string): Promise<void> {
    await this.#redis.del(this.#lease(node))
  }

  async orphans (limit: number): Promise<TaskRef[]> {
    const found: TaskRef[] = []
    for (const node of await this.#redis.smembers(this.#nodes())) {
      if (found.length >= limit) break
      if (await this.alive(node)) continue
      const index = this.#nodeTasks(node)
      const entries = await this.#redis.srandmember(index, limit - found.length)
      if (entries.length === 0) {
        // A dead node with nothing left to sweep is forgotten (unless it came back meanwhile).
        if (!await this.alive(node)) await this.#redis.srem(this.#nodes(), node)
        continue
      }
      for (const entry of entries) {
        const decoded = decodeTaskIndexEntry(entry, this.#dropped)
        const ref = decoded === undefined ? undefined : { principal: decoded[0], id: decoded[1] }
        if (ref !== undefined && await this.#redis.hget(this.#keys(ref).task, 'status') === 'working') found.push(ref)
        // Ended, expired or malformed: nothing to sweep.
        else await this.#redis.srem(index, entry)
      }
    }
    return found
  }

  async signal (node: string, notice: TaskNotice): Promise<void> {
    await this.#bus.publish(tasksTopic(node), JSON.stringify({ id: notice.id, kind: notice.kind }))
  }

  async listen (node: string, listener: (notice: TaskNotice) => void): Promise<() => Promise<void>> {
    return this.#bus.subscribe(tasksTopic(node), (payload) => {
      const notice = decodeTaskNotice(payload, this.#dropped)
      if (notice !== undefined) listener(notice)
    })
  }

  /** The connections are the plugin's: nothing to close here. */
  async close (): Promise<void> {}

  /** A hash's field -> JSON pairs, decoded; what is not JSON is reported and left out. */
  #values (flat: string[]): Record<string, unknown> {
    const values: Record<string, unknown> = {}
    for (const [key, json] of Object.entries(pairs(flat))) {
      const value = decodeTaskValue(json, this.#dropped)
      if (value !== undefined) values[key] = value
    }
    return values
  }

  #keys ({ principal, id }: TaskRef): { task: string, pending: string, answers: string, active: string } {
    // The principal's hash: every key of its tasks in one slot, and no principal in a key name.
    const tag = `{${principal === null ? '-' : createHash('sha256').update(principal).digest('base64url').slice(0, 22)}}`
    const task = `${this.#prefix}task:${tag}:${id}`
    return { task, pending: `${task}:q`, answers: `${task}:a`, active: `${this.#prefix}tasks:${tag}:active` }
  }

  #lease (node: string): string {
    return `${this.#prefix}task-node:{${node}}`
  }

  #nodeTasks (node: string): string {
    return `${this.#prefix}task-node:{${node}}:tasks`
  }

  #nodes (): string {
    return `${this.#prefix}{tasks}:nodes`
  }
}

/** `[field, value, field, value...]` as an object. */
function pairs (flat: string[]): Record<string, string> {
  const object: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) object[flat[i]!] = flat[i + 1]!
  return object
}
