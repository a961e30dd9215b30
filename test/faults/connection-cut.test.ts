// A network cut in the middle of a call's SSE stream: a TCP proxy in front of the cluster drops
// every connection of the client (and refuses new ones for a moment). The official SDK client
// resumes with Last-Event-ID, through the round-robin proxy, on whichever node: every event once,
// then the result.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { tcpProxy } from '../../packages/mcp-session/test/redis-helpers.ts'
import { bounded, progressOf, sdkClient, startCluster, startRedis, until } from './harness.ts'

test('a connection cut mid-SSE by a proxy: the SDK client resumes, gets every event exactly once, and the result', async (t) => {
  const redis = await startRedis(t)
  const cluster = await startCluster(t, redis, 2)
  const network = await tcpProxy(t, cluster.url.toString())
  const { client, received, errors } = await sdkClient(t, new URL(network.url))
  let step = 0
  const calling = client.callTool({ name: 'slow', arguments: { steps: 12, ms: 150 } }, undefined, {
    onprogress: ({ progress }) => { step = progress },
    timeout: 60_000
  })
  await until(() => step >= 3, 10_000, 'three progress steps')
  network.cut()
  await sleep(300)
  network.restore()
  const result = await bounded(calling, 20_000, 'the result after the cut')
  assert.match((result.content as Array<{ text: string }>)[0]!.text, /^12 steps by pid \d+$/)
  assert.deepEqual(progressOf(received), Array.from({ length: 12 }, (_, index) => index + 1), 'every step once, in order')
  assert.ok(errors.some((error) => /disconnected|terminated|closed|reset/i.test(error)), `the client saw its stream cut: ${errors.join('; ')}`)
  assert.ok(cluster.nodes.every((node) => node.alive))
})
