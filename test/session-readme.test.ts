// mcp-session's README example is a program a user copies: this runs that very block, in
// processes of its own as a user would, with the official SDK client: in memory, then as two
// nodes on a Redis Cluster the test starts (three masters on free ports), where a session opened
// on one node is used and ended on the other.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { after, test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { clusterUnavailable, startCluster, type TestCluster } from '../packages/mcp-session/test/redis-cluster.ts'

function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/** The README's example, written beside this file (so its imports resolve as in a user's project). */
function example (t: TestContext): string {
  const readme = readFileSync(new URL('../packages/mcp-session/README.md', import.meta.url), 'utf8')
  const block = /```ts\n(import mcpSession from[\s\S]*?)```/.exec(readme)?.[1]
  assert.ok(block !== undefined, 'the README has its complete example')
  const file = new URL(`./.readme-session-${randomUUID()}.ts`, import.meta.url)
  writeFileSync(file, block)
  t.after(() => rmSync(file, { force: true }))
  return fileURLToPath(file)
}

/** Runs the example with `env`; resolves to its MCP URL once it listens. */
async function run (t: TestContext, file: string, env: Record<string, string>): Promise<URL> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', file], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.after(() => { child.kill() })
  let output = ''
  child.stderr.on('data', (chunk: Buffer) => { output += String(chunk) })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not listen within 20 s: ${output}`)), 20_000)
    child.stdout.on('data', (chunk: Buffer) => {
      output += String(chunk)
      if (output.includes('Server listening at')) { clearTimeout(timer); resolve() }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the example exited (${code}): ${output}`)) })
  })
  return new URL(`http://127.0.0.1:${port}/mcp`)
}

async function connect (t: TestContext, url: URL, sessionId?: string): Promise<{ client: Client, transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url, sessionId === undefined ? {} : { sessionId })
  const client = new Client({ name: 'readme', version: '1.0.0' })
  t.after(() => client.close())
  await client.connect(transport)
  return { client, transport }
}

async function count (client: Client, n: number): Promise<{ text: string, progress: number[] }> {
  const progress: number[] = []
  const result = await client.callTool({ name: 'count', arguments: { n } }, undefined, { onprogress: ({ progress: step }) => { progress.push(step) } })
  return { text: (result.content as Array<{ text: string }>)[0]!.text, progress }
}

test('the README\'s example runs as written: a session, a tool with its progress, in this process\'s memory', async (t) => {
  const url = await run(t, example(t), {})
  const { client, transport } = await connect(t, url)
  assert.match(transport.sessionId ?? '', /^[0-9a-f-]{36}$/)
  assert.deepStrictEqual(await count(client, 3), { text: 'Counted to 3', progress: [1, 2, 3] })
})

let cluster: TestCluster | undefined
after(async () => { await cluster?.stop() })

test('the README\'s example on a Redis Cluster: two nodes serve one session', async (t) => {
  const missing = clusterUnavailable()
  if (missing !== undefined) {
    if (process.env.CI === 'true') throw new Error(`cannot start a Redis Cluster (${missing}); CI=true, so this test fails`)
    return t.skip(missing)
  }
  cluster = await startCluster()
  const file = example(t)
  const env = { REDIS_CLUSTER: cluster.nodes.map(({ host, port }) => `${host}:${port}`).join(',') }
  const [one, two] = await Promise.all([run(t, file, env), run(t, file, env)])
  const first = await connect(t, one)
  const sessionId = first.transport.sessionId
  assert.ok(sessionId !== undefined)
  assert.deepStrictEqual(await count(first.client, 2), { text: 'Counted to 2', progress: [1, 2] })
  // The same session, on the other node, without initializing again.
  const second = await connect(t, two, sessionId)
  assert.deepStrictEqual(await count(second.client, 4), { text: 'Counted to 4', progress: [1, 2, 3, 4] })
  await second.transport.terminateSession()
  await assert.rejects(count(first.client, 1), /404|not found|Session/i, 'ended on the other node: unknown here too')
})
