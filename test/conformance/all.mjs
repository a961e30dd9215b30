#!/usr/bin/env node
// The conformance suite three times: against the fixture server with the memory store, with the
// Redis store, and against a two-node cluster behind a round-robin proxy (Redis shared).
// Redis comes from REDIS_URL (default redis://127.0.0.1:6379); without it the two Redis passes
// are skipped with a notice, except under CI (CI=true), where a missing Redis is a failure.
import { spawnSync } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const run = path.join(path.dirname(fileURLToPath(import.meta.url)), 'run.mjs')
const redis = process.env.REDIS_URL || 'redis://127.0.0.1:6379'

function pass (name, env) {
  process.stdout.write(`\n=== conformance pass: ${name} ===\n`)
  const { status } = spawnSync(process.execPath, [run, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, ...env } })
  if (status !== 0) {
    process.stderr.write(`conformance pass "${name}" failed\n`)
    process.exit(status ?? 1)
  }
}

/** Whether a Redis answers PING at `url`, within a second. */
function answers (url) {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) })
    const done = (ok) => { socket.destroy(); resolve(ok) }
    socket.setTimeout(1000, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

pass('memory store', { REDIS_URL: '' })
if (await answers(redis)) {
  pass('Redis store', { REDIS_URL: redis })
  pass('two nodes behind a round-robin proxy', { REDIS_URL: redis, CONFORMANCE_SERVER: 'node examples/cluster/dist/start.js --app conformance' })
} else if (process.env.CI === 'true') {
  process.stderr.write(`conformance: Redis does not answer at ${redis}; under CI it is required\n`)
  process.exit(1)
} else {
  process.stderr.write(`notice: Redis does not answer at ${redis}: the Redis and cluster passes are skipped (set REDIS_URL)\n`)
}
