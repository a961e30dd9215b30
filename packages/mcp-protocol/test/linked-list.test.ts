import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LinkedList } from '../src/index.ts'

test('LinkedList: added newest first, deleted once from anywhere, found and counted', () => {
  const list = new LinkedList<number>()
  const links = [1, 2, 3, 4, 5].map((n) => list.add(n))
  assert.deepStrictEqual([...list], [5, 4, 3, 2, 1])
  assert.equal(list.delete(links[2]!), true)
  assert.equal(list.delete(links[2]!), false, 'out already')
  assert.equal(list.delete(links[4]!), true)
  assert.equal(list.delete(links[0]!), true)
  assert.deepStrictEqual([...list], [4, 2])
  assert.equal(list.size, 2)
  assert.equal(list.find((n) => n % 2 === 0)?.value, 4)
  assert.equal(list.find((n) => n === 3), undefined)
  list.delete(links[1]!)
  list.delete(links[3]!)
  assert.deepStrictEqual([...list], [])
  assert.equal(list.size, 0)
  list.add(6)
  assert.deepStrictEqual([...list], [6])
  assert.equal(list.delete(list.find((n) => n === 6)!), true, 'a link found deletes its value')
  assert.deepStrictEqual([...list], [])
})

test('LinkedList: a walk paused midway skips what was deleted meanwhile and does not walk what was added', () => {
  const list = new LinkedList<number>()
  const links = [1, 2, 3, 4, 5, 6].map((n) => list.add(n))
  const walk = list[Symbol.iterator]()
  assert.equal(walk.next().value, 6)
  // The value the walk is at, the next two and one further on go; a new one comes.
  for (const n of [6, 5, 4, 2]) list.delete(links[n - 1]!)
  list.add(7)
  const rest: number[] = []
  for (let next = walk.next(); next.done !== true; next = walk.next()) rest.push(next.value)
  assert.deepStrictEqual(rest, [3, 1])
  assert.deepStrictEqual([...list], [7, 3, 1])
})
