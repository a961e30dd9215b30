import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RunningRequests, type Running } from '../src/running.ts'
import type { ClientSession, McpContext } from '../src/index.ts'
import { makeSession } from './helpers.ts'

test('RunningRequests: deleted in any order, the rest are walked and found, and nothing deleted is', () => {
  const running = new RunningRequests()
  const sessions: ClientSession[] = [makeSession({ id: 'a' }), makeSession({ id: 'b' })]
  const entries = new Map<string, Running>()
  for (const id of [1, 2, 3, 4, 5]) {
    for (const session of sessions) {
      entries.set(`${session.id}${id}`, running.add({ session, requestId: id } as unknown as McpContext, undefined))
    }
  }
  const order = ['a3', 'a1', 'a5', 'b4', 'b2', 'a4', 'b1', 'a2', 'b5', 'b3']
  for (const [n, key] of order.entries()) {
    running.delete(entries.get(key)!)
    const live = [...entries.keys()].filter((k) => !order.slice(0, n + 1).includes(k))
    assert.equal(running.size, live.length)
    assert.deepStrictEqual([...running].map(({ ctx }) => `${ctx.session.id}${ctx.requestId}`).sort(), live.sort(), `walked after ${key}`)
    for (const [k, entry] of entries) {
      const { session, requestId } = entry.ctx
      assert.equal(running.find(session, requestId), live.includes(k) ? entry.ctx : undefined, `${k} found after ${key}`)
    }
  }
})

test('RunningRequests: a walk goes on past the entry it deletes', () => {
  const running = new RunningRequests()
  const session = makeSession({ id: 'a' })
  const entries = [1, 2, 3, 4].map((requestId) => running.add({ session, requestId } as unknown as McpContext, undefined))
  const walked: unknown[] = []
  for (const entry of running) {
    walked.push(entry.ctx.requestId)
    running.delete(entry)
  }
  assert.deepStrictEqual(walked, [4, 3, 2, 1])
  assert.equal(running.size, 0)
  assert.equal(entries.some((entry) => running.find(session, entry.ctx.requestId) !== undefined), false)
})

test('RunningRequests: requests without a session are counted and walked, not found by id', () => {
  const running = new RunningRequests()
  const session = makeSession({ id: undefined })
  const entry = running.add({ session, requestId: 1 } as unknown as McpContext, 5)
  assert.equal(running.size, 1)
  assert.deepStrictEqual([...running].map((e) => e.startedAt), [5])
  assert.equal(running.find(session, 1), undefined)
  running.delete(entry)
  assert.equal(running.size, 0)
})
