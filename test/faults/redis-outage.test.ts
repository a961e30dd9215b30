// Redis taken away under traffic, from two node processes: killed (SIGKILL) and started again,
// with and without persistence, and frozen (SIGSTOP) for longer than the command timeout, then
// thawed (SIGCONT). Meanwhile every request is answered at once with a 503 and a JSON-RPC error
// (never a hang, never a crash), and service comes back by itself. The times go to the test's
// diagnostics (`# ...` lines): how fast the refusals were, how long recovery took.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  bounded, call, initialize, post, ready, spread, startNode, startRedis, until, type Answer, type NodeProcess, type RedisServer
} from './harness.ts'

/** Each answer, with when it was asked and answered. */
interface Logged extends Answer {
  asked: number
  answered: number
}

/**
 * A client calling a tool on each node in turn, three calls at a time, each lane every 25 ms;
 * initializes again when its session is gone (404).
 */
function traffic (nodes: NodeProcess[], first: Record<string, string>): { log: Logged[], sessions: number, stop: () => Promise<void> } {
  const halt = new AbortController()
  const state = { log: [] as Logged[], sessions: 1, stop: async () => {} }
  let headers = first
  let next = 0
  const lane = async (): Promise<void> => {
    while (!halt.signal.aborted) {
      const i = ++next
      const url = `${nodes[i % nodes.length]!.base}/mcp`
      const asked = Date.now()
      const sent = headers
      const answer = await post(url, call(i, 'whoami'), sent, 5000)
      state.log.push({ ...answer, asked, answered: Date.now() })
      if (answer.status === 404 && headers === sent) {
        try {
          headers = await initialize(url)
          state.sessions++
        } catch {}
      }
      await sleep(25)
    }
  }
  const running = Promise.all([lane(), lane(), lane()])
  state.stop = async () => {
    halt.abort()
    await bounded(running, 10_000, 'the last request')
  }
  return state
}

async function twoNodes (t: TestContext, redis: RedisServer): Promise<NodeProcess[]> {
  const nodes = await Promise.all([startNode(t, redis), startNode(t, redis)])
  await Promise.all(nodes.map((node) => ready(node)))
  return nodes
}

/** What was asked after `from` and answered before `to`. */
function between (log: Logged[], from: number, to: number): Logged[] {
  return log.filter((entry) => entry.asked > from && entry.answered < to)
}

function assertRefused (answers: Logged[], atLeast: number): void {
  assert.ok(answers.length >= atLeast, `requests during the outage: ${answers.length}`)
  for (const answer of answers) {
    assert.equal(answer.status, 503, `${answer.status} ${answer.body}`)
    const body = JSON.parse(answer.body)
    assert.equal(body.error.code, -32000)
    assert.match(body.error.message, /store unavailable/i)
  }
}

for (const persistent of [false, true]) {
  test(`Redis killed and restarted ${persistent ? 'with' : 'without'} persistence under traffic: 503 at once meanwhile, no crash, service back by itself`, async (t) => {
    const redis = await startRedis(t, { persistent })
    const nodes = await twoNodes(t, redis)
    const client = traffic(nodes, await initialize(`${nodes[0]!.base}/mcp`))
    await sleep(500)
    const killed = Date.now()
    await redis.kill()
    await sleep(2000)
    const restarting = Date.now()
    await redis.restart()
    const back = Date.now()
    await until(() => client.log.some((entry) => entry.asked >= back && entry.status === 200), 20_000, 'service again')
    await sleep(300)
    await client.stop()

    const during = between(client.log, killed + 100, restarting)
    assertRefused(during, 10)
    const recovered = client.log.find((entry) => entry.asked >= back && entry.status === 200)!
    t.diagnostic(`${persistent ? 'with' : 'without'} persistence: refusals during the outage ${spread(during.map((entry) => entry.ms))}; ` +
      `first success ${recovered.answered - back} ms after Redis answered again (it took ${back - restarting} ms to start); ${client.sessions} session(s)`)
    assert.ok(nodes.every((node) => node.alive), 'no node exited')
    const statuses = new Set(client.log.map((entry) => entry.status))
    assert.ok(!statuses.has(0), 'every request answered')
    if (persistent) {
      assert.equal(client.sessions, 1, 'the session outlived the restart')
      assert.ok(!statuses.has(404))
    } else {
      assert.ok(client.sessions > 1, 'the session died with Redis\'s memory: 404, and the client initialized again')
    }
    await Promise.all(nodes.map((node) => ready(node, 5000)))
  })
}

test('Redis frozen (SIGSTOP) past the command timeout under traffic: 503 in bounded time, no crash; thawed, the same session goes on', async (t) => {
  const redis = await startRedis(t)
  const nodes = await twoNodes(t, redis)
  const client = traffic(nodes, await initialize(`${nodes[0]!.base}/mcp`))
  await sleep(500)
  const stopped = Date.now()
  redis.stop()
  await sleep(4000)
  const thawed = Date.now()
  redis.cont()
  await until(() => client.log.some((entry) => entry.asked >= thawed && entry.status === 200), 20_000, 'service again')
  await sleep(300)
  await client.stop()

  // Each of these waited for the command timeout (1 s): a Redis that does not answer cannot be told from a slow one sooner.
  const during = between(client.log, stopped + 100, thawed)
  assertRefused(during, 4)
  const recovered = client.log.find((entry) => entry.asked >= thawed && entry.status === 200)!
  t.diagnostic(`frozen: refusals ${spread(during.map((entry) => entry.ms))}; first success ${recovered.answered - thawed} ms after SIGCONT`)
  assert.ok(nodes.every((node) => node.alive), 'no node exited')
  assert.equal(client.sessions, 1, 'the session outlived the freeze')
  assert.ok(!client.log.some((entry) => entry.status === 0 || entry.status === 404))
  await Promise.all(nodes.map((node) => ready(node, 5000)))
})
