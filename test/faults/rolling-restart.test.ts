// A rolling restart of a three-node cluster behind the round-robin proxy, which follows /ready,
// while two SDK clients call without pause: one plain calls (JSON answers), one calls that
// stream progress (SSE). Each node in turn gets SIGTERM (it reports not ready, serves on for its
// grace, closes: streams end with a retry hint, calls in flight finish), exits, and is started
// again on its port. No call fails, no progress step is lost or doubled.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { bounded, CHECK_MS, sdkClient, startCluster, startRedis } from './harness.ts'

test('a rolling restart behind a proxy that follows /ready: no call fails, streamed calls get every step once', async (t) => {
  const redis = await startRedis(t)
  const cluster = await startCluster(t, redis, 3)
  const plain = await sdkClient(t, cluster.url)
  const streaming = await sdkClient(t, cluster.url)
  const halt = new AbortController()
  const failures: string[] = []
  const answeredBy = new Set<string>()
  let plainCalls = 0
  let streamedCalls = 0

  const plainTraffic = (async () => {
    while (!halt.signal.aborted) {
      try {
        const result = await plain.client.callTool({ name: 'whoami', arguments: {} }, undefined, { timeout: 30_000 })
        answeredBy.add((result.content as Array<{ text: string }>)[0]!.text)
      } catch (error) {
        failures.push(`plain call ${plainCalls}: ${String(error)}`)
      }
      plainCalls++
      await sleep(20) // a busy client, not a flood
    }
  })()
  const streamingTraffic = (async () => {
    while (!halt.signal.aborted) {
      const progress: number[] = []
      try {
        const result = await streaming.client.callTool({ name: 'slow', arguments: { steps: 5, ms: 100 } }, undefined, {
          onprogress: ({ progress: step }) => { progress.push(step) },
          timeout: 30_000
        })
        assert.match((result.content as Array<{ text: string }>)[0]!.text, /^5 steps by pid \d+$/)
        assert.deepEqual(progress, [1, 2, 3, 4, 5])
      } catch (error) {
        failures.push(`streamed call ${streamedCalls}: ${String(error)}`)
      }
      streamedCalls++
    }
  })()

  const before = cluster.nodes.map((node) => node.pid)
  const restartsMs: number[] = []
  for (let index = 0; index < cluster.nodes.length; index++) {
    await sleep(5 * CHECK_MS)
    const node = cluster.nodes[index]!
    const started = Date.now()
    node.signal('SIGTERM')
    const exit = await bounded(node.exited, 30_000, `node ${index} to shut down`)
    assert.deepEqual(exit, { code: 0, signal: null }, `node ${index} exits cleanly`)
    await cluster.restart(index)
    restartsMs.push(Date.now() - started)
  }
  await sleep(5 * CHECK_MS)
  halt.abort()
  await bounded(Promise.all([plainTraffic, streamingTraffic]), 30_000, 'the last calls')
  t.diagnostic(`${plainCalls} plain and ${streamedCalls} streamed calls; each node out and back in ${restartsMs.join(', ')} ms`)
  assert.deepEqual(failures, [], `${failures.length} calls failed`)
  assert.ok(plainCalls > 20 && streamedCalls > 5, `the clients kept calling (${plainCalls} plain, ${streamedCalls} streamed)`)
  const after = cluster.nodes.map((node) => String(node.pid))
  assert.ok(after.some((pid) => answeredBy.has(pid)), 'restarted nodes took calls again')
  assert.ok(before.some((pid) => answeredBy.has(String(pid))), 'the first nodes took calls')
})
