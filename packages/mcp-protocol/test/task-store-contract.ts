import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import type { TaskNotice, TaskRecord, TaskStore } from '../src/index.ts'

/**
 * What every task store must do, run against each implementation: the memory store here, the
 * Redis store in mcp-session (`makeStore` gives a fresh, empty store, or `undefined` to skip).
 */
export function taskStoreContract (name: string, makeStore: (t: TestContext) => Promise<TaskStore | undefined>): void {
  const id = (): string => randomBytes(16).toString('base64url')

  function record (overrides: Partial<TaskRecord> = {}): TaskRecord {
    const now = Date.now()
    return {
      id: id(),
      principal: 'alice',
      tool: 'export',
      node: 'node-a',
      createdAt: now,
      updatedAt: now,
      ttlMs: 60_000,
      pollIntervalMs: 1000,
      keepUntil: now + 60_000,
      status: 'working',
      pending: {},
      answers: {},
      ...overrides
    }
  }

  const question = { method: 'elicitation/create' as const, params: { message: 'Sure?', requestedSchema: { type: 'object', properties: {} } } }
  const accept = { action: 'accept', content: { ok: true } }

  test(`${name}: a created task is found by its principal at once, by nobody else`, async (t) => {
    const store = await makeStore(t)
    if (store === undefined) return
    const task = record()
    assert.equal(await store.create(task, 10), true)
    assert.deepEqual(await store.get({ principal: 'alice', id: task.id }), task)
    assert.equal(await store.get({ principal: 'mallory', id: task.id }), undefined)
    assert.equal(await store.get({ principal: null, id: task.id }), undefined)
    assert.equal(await store.get({ principal: 'alice', id: id() }), undefined)
    // Anonymous tasks are one principal's: found without a principal only.
    const anonymous = record({ principal: null })
    assert.equal(await store.create(anonymous, 10), true)
    assert.equal((await store.get({ principal: null, id: anonymous.id }))?.id, anonymous.id)
    assert.equal(await store.get({ principal: 'alice', id: anonymous.id }), undefined)
  })

  test(`${name}: a principal has at most maxActive unfinished tasks; a finished one frees its place`, async (t) => {
    const store = await makeStore(t)
    if (store === undefined) return
    const first = record()
    assert.equal(await store.create(first, 2), true)
    assert.equal(await store.create(record(), 2), true)
    assert.equal(await store.create(record(), 2), false)
    // Another principal has its own bound.
    assert.equal(await store.create(record({ principal: 'bob' }), 2), true)
    assert.equal(await store.finish({ principal: 'alice', id: first.id }, { status: 'completed', result: { content: [] } }), true)
    assert.equal(await store.create(record(), 2), true)
  })

  test(`${name}: questions, answers taken once, unknown and repeated answers ignored`, async (t) => {
    const store = await makeStore(t)
    if (store === undefined) return
    const task = record()
    const ref = { principal: 'alice', id: task.id }
    await store.create(task, 10)
    await store.update(ref, { ask: { a: question, b: question }, statusMessage: 'waiting' })
    let kept = await store.get(ref)
    assert.deepEqual(Object.keys(kept!.pending).sort(), ['a', 'b'])
    assert.equal(kept!.statusMessage, 'waiting')
    assert.ok(kept!.updatedAt >= task.updatedAt)

    assert.deepEqual(await store.answer(ref, { a: accept, nope: accept }), ['a'])
    kept = await store.get(ref)
    assert.deepEqual(Object.keys(kept!.pending), ['b'])
    assert.deepEqual(kept!.answers, { a: accept })
    // Answered already: no longer pending, so ignored.
    assert.deepEqual(await store.answer(ref, { a: { action: 'decline' } }), [])
    assert.deepEqual(await store.take(ref), { a: accept })
    assert.deepEqual(await store.take(ref), {})
    assert.equal(await store.answer({ principal: 'mallory', id: task.id }, { b: accept }), undefined)
    assert.equal(await store.answer({ principal: 'alice', id: id() }, { b: accept }), undefined)
    assert.deepEqual(Object.keys((await store.get(ref))!.pending), ['b'])
  })

  test(`${name}: the first end wins; a finished task takes no questions or answers`, async (t) => {
    const store = await makeStore(t)
    if (store === undefined) return
    const task = record()
    const ref = { principal: 'alice', id: task.id }
    await store.create(task, 10)
    await store.update(ref, { ask: { a: question } })
    assert.equal(await store.finish(ref, { status: 'cancelled', statusMessage: 'Cancelled by the client' }), true)
    assert.equal(await store.finish(ref, { status: 'completed', result: { content: [] } }), false)
    assert.equal(await store.finish({ principal: 'mallory', id: task.id }, { status: 'cancelled', statusMessage: 'x' }), false)
    const kept = await store.get(ref)
    assert.equal(kept!.status, 'cancelled')
    assert.equal(kept!.statusMessage, 'Cancelled by the client')
    assert.deepEqual(kept!.pending, {})
    await store.update(ref, { ask: { b: question }, statusMessage: 'late' })
    assert.deepEqual(await store.answer(ref, { a: accept }), [])
    assert.equal((await store.get(ref))!.statusMessage, 'Cancelled by the client')
    assert.deepEqual((await store.get(ref))!.pending, {})

    const failed = record()
    await store.create(failed, 10)
    const error = { code: -32603, message: 'boom', data: { reason: 'x' } }
    assert.equal(await store.finish({ principal: 'alice', id: failed.id }, { status: 'failed', error, statusMessage: 'failed: boom' }), true)
    const read = await store.get({ principal: 'alice', id: failed.id })
    assert.equal(read!.status, 'failed')
    assert.deepEqual(read!.error, error)
    assert.equal(read!.result, undefined)

    const done = record()
    await store.create(done, 10)
    const result = { content: [{ type: 'text', text: 'ok' }], isError: true }
    assert.equal(await store.finish({ principal: 'alice', id: done.id }, { status: 'completed', result }), true)
    assert.deepEqual((await store.get({ principal: 'alice', id: done.id }))!.result, result)
  })

  test(`${name}: a task is forgotten after keepUntil`, async (t) => {
    const store = await makeStore(t)
    if (store === undefined) return
    const task = record({ keepUntil: Date.now() + 150 })
    await store.create(task, 10)
    assert.ok(await store.get({ principal: 'alice', id: task.id }))
    await until(async () => await store.get({ principal: 'alice', id: task.id }) === undefined, 'the task to be forgotten')
  })

  test(`${name}: leases, orphans of dead nodes, leaving`, async (t) => {
    const store = await makeStore(t)
    if (store === undefined) return
    const node = `node-${id()}`
    const other = `node-${id()}`
    assert.equal(await store.alive(node), false)
    await store.heartbeat(node, 60_000)
    await store.heartbeat(other, 60_000)
    assert.equal(await store.alive(node), true)
    const mine = record({ node })
    const theirs = record({ node: other })
    const finished = record({ node })
    for (const task of [mine, theirs, finished]) await store.create(task, 10)
    await store.finish({ principal: 'alice', id: finished.id }, { status: 'completed', result: { content: [] } })
    assert.deepEqual(await store.orphans(10), [])
    await store.leave(node)
    assert.equal(await store.alive(node), false)
    assert.equal(await store.alive(other), true)
    // Only the unfinished task of the node that left.
    assert.deepEqual(await store.orphans(10), [{ principal: 'alice', id: mine.id }])
    // A short lease runs out by itself.
    await store.heartbeat(other, 100)
    await until(async () => !await store.alive(other), 'the lease to run out')
    const orphans = (await store.orphans(10)).map((ref) => ref.id).sort()
    assert.deepEqual(orphans, [mine.id, theirs.id].sort())
    await store.finish({ principal: 'alice', id: mine.id }, { status: 'failed', error: { code: -32603, message: 'gone' }, statusMessage: 'gone' })
    assert.deepEqual(await store.orphans(10), [{ principal: 'alice', id: theirs.id }])
  })

  test(`${name}: signals reach the listener of their node only, until it stops listening`, async (t) => {
    const store = await makeStore(t)
    if (store === undefined) return
    const heard: Array<[string, TaskNotice]> = []
    const stopA = await store.listen('node-a', (notice) => heard.push(['a', notice]))
    const stopB = await store.listen('node-b', (notice) => heard.push(['b', notice]))
    await store.signal('node-a', { id: 'task-1', kind: 'input' })
    await store.signal('node-b', { id: 'task-2', kind: 'cancel' })
    await until(() => heard.length === 2, 'both signals')
    assert.deepEqual(heard.sort(), [['a', { id: 'task-1', kind: 'input' }], ['b', { id: 'task-2', kind: 'cancel' }]])
    await stopA()
    await store.signal('node-a', { id: 'task-3', kind: 'input' })
    await store.signal('node-b', { id: 'task-4', kind: 'input' })
    await until(() => heard.length === 3, 'the signal to node b')
    assert.deepEqual(heard[2], ['b', { id: 'task-4', kind: 'input' }])
    await stopB()
  })
}

/** Resolves once `check` holds (polled); fails after 5 s. */
export async function until (check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
