// Preloaded into a benchmarked server (`node --import ./bench/profile-window.mjs server.js`): a
// V8 CPU profile of a window the benchmark chooses, not of the whole process (start-up, warm-up
// and shutdown stay out). SIGWINCH starts the profile; the next SIGWINCH stops it and writes it to
// $PROFILE_OUT (then `$PROFILE_OUT.done` names it, so the benchmark knows it is whole).
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'

const out = process.env.PROFILE_OUT
if (out === undefined || out === '') throw new Error('profile-window: set PROFILE_OUT to the file to write')
const session = new Session()
session.connect()
let running = false
process.on('SIGWINCH', () => {
  const toggle = running ? stop() : start()
  running = !running
  toggle.catch((error) => process.stderr.write(`profile-window: ${error.stack}\n`))
})

async function start () {
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
}

async function stop () {
  const { profile } = await session.post('Profiler.stop')
  writeFileSync(out, JSON.stringify(profile))
  writeFileSync(`${out}.done`, out)
}
