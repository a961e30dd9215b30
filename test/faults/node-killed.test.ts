// A node killed (SIGKILL) in the middle of a call's SSE stream, behind a round-robin proxy: the
// official SDK client resumes the stream on another node and gets every event exactly once, then
// the answer: the result when the writer finished before it died, an error saying the node went
// away (the call may be retried) when it did not.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCode } from '@mcp-fastify/mcp-protocol'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { bounded, progressOf, sdkClient, startCluster, startRedis, until } from './harness.ts'

/** The pid the tool's progress messages name. */
function pidOf (message: string | undefined): number {
  const found = /^pid (\d+)$/.exec(message ?? '')
  assert.ok(found !== null, `a progress message naming its process: ${message}`)
  return Number(found[1])
}

test('a node killed mid-stream: the SDK client resumes on another node, every event once, then an error that says the node went away', async (t) => {
  const redis = await startRedis(t)
  const cluster = await startCluster(t, redis, 2)
  const { client, received } = await sdkClient(t, cluster.url, { maxRetries: 2 }) // the SDK's default
  let writer: number | undefined
  const calling = client.callTool({ name: 'slow', arguments: { steps: 50, ms: 100 } }, undefined, {
    onprogress: ({ progress, message }) => { if (progress === 3) writer = pidOf(message) },
    timeout: 60_000
  })
  const outcome = calling.then(() => 'a result', (error: unknown) => error)
  await until(() => writer !== undefined, 10_000, 'three progress steps')
  const victim = cluster.nodes.find((node) => node.pid === writer)!
  const killedAt = Date.now()
  victim.signal('SIGKILL')
  assert.equal((await bounded(victim.exited, 5000, 'the node to die')).signal, 'SIGKILL')

  const error = await bounded(outcome, 20_000, 'the answer on the resumed stream')
  t.diagnostic(`answered ${Date.now() - killedAt} ms after the kill`)
  assert.ok(error instanceof McpError, `an error answer, got ${String(error)}`)
  assert.equal(error.code, ErrorCode.NodeGone)
  assert.match(error.message, /went away.*may be retried/)
  const progress = progressOf(received)
  assert.ok(progress.length >= 3 && progress.length < 50, `progress before the kill: ${progress.join(',')}`)
  assert.deepEqual(progress, progress.map((_, index) => index + 1), 'every step once, in order')
  assert.equal(received.filter((message) => 'error' in message).length, 1, 'one answer')
  // The other node serves on: the session, a new call.
  const after = await bounded(client.callTool({ name: 'whoami', arguments: {} }), 10_000, 'a call after the kill')
  assert.notEqual((after.content as Array<{ text: string }>)[0]!.text, String(writer))
  assert.ok(cluster.nodes.every((node) => node === victim || node.alive))
})

test('a node killed after it finished a call its client was not connected for: the client resumes elsewhere and gets the result', async (t) => {
  const redis = await startRedis(t)
  const cluster = await startCluster(t, redis, 2)
  const { client, received } = await sdkClient(t, cluster.url, { maxRetries: 2 }) // the SDK's default
  let writer: number | undefined
  // The tool ends its connection after step 1 (SSE polling: the client comes back in 4 s), then
  // finishes at once: its last steps and result are logged while nobody listens.
  const calling = client.callTool({ name: 'slow', arguments: { steps: 3, ms: 0, poll: 4000 } }, undefined, {
    onprogress: ({ progress, message }) => { if (progress === 1) writer = pidOf(message) },
    timeout: 60_000
  })
  await until(() => writer !== undefined, 10_000, 'the first progress step')
  await sleep(1000) // the tool is long done; the client comes back 3 s later
  const victim = cluster.nodes.find((node) => node.pid === writer)!
  victim.signal('SIGKILL')
  await bounded(victim.exited, 5000, 'the node to die')
  const result = await bounded(calling, 20_000, 'the result on the resumed stream')
  assert.deepEqual(result.content, [{ type: 'text', text: `3 steps by pid ${writer}` }])
  assert.deepEqual(progressOf(received), [1, 2, 3], 'every step once, in order')
})
