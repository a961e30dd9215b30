#!/usr/bin/env node
// The conformance passes CI runs, each against a fresh fixture server:
//   0.1.16 (run.mjs, 32 scenarios): memory store, Redis store, two nodes behind a round-robin proxy;
//   0.2.0-alpha.12 (run-next.mjs): at 2025-11-25 (33 scenarios, memory store), and at 2026-07-28
//   (37 scored + 3 pending) against the memory store and against the two-node cluster (a retry
//   of an input_required round lands on the other node; list changes cross over the Redis bus);
//   and the ten tasks-extension scenarios at 2026-07-28 (run-next.mjs --extensions), against the
//   memory store and against the cluster (a task created on one node is polled, fed and cancelled
//   on the other, over the Redis task store). tasks-status-notifications is always one SKIPPED
//   check: the suite does not test it yet.
// Redis comes from REDIS_URL (default redis://127.0.0.1:6379); without it the Redis and cluster
// passes are skipped with a notice, except under CI (CI=true), where a missing Redis is a failure.
// Arguments are passed to the 0.1.16 passes only (e.g. `-- --scenario ping`).
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const run = [path.join(here, 'run.mjs'), ...process.argv.slice(2)]
const next = (requirements) => [path.join(here, 'run-next.mjs'), '--requirements', requirements]
const extensions = [path.join(here, 'run-next.mjs'), '--extensions']
const cluster = 'node examples/cluster/dist/start.js --app conformance'
const redis = process.env.REDIS_URL || 'redis://127.0.0.1:6379'

function pass (name, args, env) {
  process.stdout.write(`\n=== conformance pass: ${name} ===\n`)
  const { status } = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, ...env } })
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

pass('0.1.16, memory store', run, { REDIS_URL: '' })
pass('0.2.0-alpha.12 at 2025-11-25, memory store', next('2025-11-25'), { REDIS_URL: '' })
pass('0.2.0-alpha.12 at 2026-07-28, memory store', next('2026-07-28'), { REDIS_URL: '' })
pass('0.2.0-alpha.12 tasks extension at 2026-07-28, memory store', extensions, { REDIS_URL: '' })
if (await answers(redis)) {
  pass('0.1.16, Redis store', run, { REDIS_URL: redis })
  pass('0.1.16, two nodes behind a round-robin proxy', run, { REDIS_URL: redis, CONFORMANCE_SERVER: cluster })
  // Both nodes seal requestState with one key, as a cluster must be configured.
  pass('0.2.0-alpha.12 at 2026-07-28, two nodes behind a round-robin proxy', next('2026-07-28'), {
    REDIS_URL: redis, CONFORMANCE_SERVER: cluster, REQUEST_STATE_KEY: randomBytes(32).toString('base64url')
  })
  pass('0.2.0-alpha.12 tasks extension at 2026-07-28, two nodes behind a round-robin proxy', extensions, {
    REDIS_URL: redis, CONFORMANCE_SERVER: cluster, REQUEST_STATE_KEY: randomBytes(32).toString('base64url')
  })
} else if (process.env.CI === 'true') {
  process.stderr.write(`conformance: Redis does not answer at ${redis}; under CI it is required\n`)
  process.exit(1)
} else {
  process.stderr.write(`notice: Redis does not answer at ${redis}: the Redis and cluster passes are skipped (set REDIS_URL)\n`)
}
