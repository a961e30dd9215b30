// Sessions at scale: memory per idle session (memory store, 10,000 and 50,000 sessions) and the
// time to create 10,000 sessions (memory and Redis stores), each in a fresh process.
//
//   node bench/sessions.mjs [--counts 10000,50000]
//
// Sessions are created with real `initialize` requests through app.inject (100 at a time), so
// the figures include everything a session costs: the record, the session object, the id.
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { counts: { type: 'string', default: '10000,50000' } } })
const counts = values.counts.split(',').map(Number)
const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sessions-worker.mjs')

function measure (store, count) {
  return new Promise((resolve, reject) => {
    const prefix = `bench:${randomBytes(4).toString('hex')}:`
    const child = fork(worker, [store, String(count), prefix], { execArgv: ['--expose-gc', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let result
    child.on('message', (message) => { result = message })
    child.on('exit', (code) => code === 0 && result !== undefined ? resolve(result) : reject(new Error(`${store} ${count}: exit ${code}`)))
  })
}

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(0)
const rows = []
for (const count of counts) rows.push(await measure('memory', count))
let redis
try {
  redis = await measure('redis', 10_000)
} catch (error) {
  process.stderr.write(`bench: Redis pass skipped: ${error.message}\n`)
}

const lines = [
  '# Sessions at scale',
  '',
  '| store | sessions | created in (ms) | sessions/s | RSS per idle session | heap per idle session | process RSS |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...[...rows, ...(redis === undefined ? [] : [redis])].map((r) =>
    `| ${r.store} | ${r.count} | ${r.createMs.toFixed(0)} | ${(r.count / r.createMs * 1000).toFixed(0)} | ${(r.rssPerSession / 1024).toFixed(2)} KiB | ${(r.heapPerSession / 1024).toFixed(2)} KiB | ${mb(r.rssTotal)} MB |`),
  '',
  `- node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores; ${new Date().toISOString()}`,
  '- with the Redis store the records live in Redis; the process holds only its local cache of session objects',
  ''
]
process.stdout.write(lines.join('\n'))
