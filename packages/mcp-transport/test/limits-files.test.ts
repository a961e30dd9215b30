import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connectionRoom, openFileLimit } from '../src/limits.ts'

test('the open-file limit is read from /proc/self/limits; unlimited and missing are understood', () => {
  const limits = [
    'Limit                     Soft Limit           Hard Limit           Units',
    'Max processes             127436               127436               processes',
    'Max open files            20000                1048576              files'
  ].join('\n')
  assert.deepEqual(openFileLimit(() => limits), { soft: 20000, hard: 1048576 })
  assert.equal(connectionRoom({ soft: 20000 }), 19936)
  assert.deepEqual(openFileLimit(() => 'Max open files            unlimited            unlimited            files'), { soft: Infinity, hard: Infinity })
  assert.equal(openFileLimit(() => { throw new Error('ENOENT') }), undefined)
  assert.equal(openFileLimit(() => 'nothing here'), undefined)
  // On this machine (Linux), the real file.
  if (process.platform === 'linux') assert.ok(openFileLimit()!.soft > 0)
})
