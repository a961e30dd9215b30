// Regression (found by the property tests of UriTemplate): a resource template was matched by a
// regular expression built from it, and a template with variables around separators they may
// also hold backtracked catastrophically. `logs://{service}-{year}-{month}-{day}` against a URI of
// 1,000 dashes took a minute and a half of CPU (the fourth power of the length), during which the
// node answered nothing: one resources/read was enough to stall a server. The matcher is now an
// automaton that reads each character once; these requests are answered at once.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCode, UriTemplate } from '@mcp-fastify/mcp-protocol'
import { buildApp, post, rpc } from '../../packages/mcp-transport/test/helpers.ts'

const TEMPLATE = 'logs://{service}-{year}-{month}-{day}'

test('a resources/read of a long run of separators is answered, not stalled on', async (t) => {
  const app = await buildApp(t, {
    sessions: false,
    declare: (mcp) => mcp.resourceTemplate({
      uriTemplate: TEMPLATE,
      name: 'log',
      read: (uri, { service, year, month, day }) => ({ contents: [{ uri, text: `${service} ${year}-${month}-${day}` }] })
    })
  })
  const headers = { 'mcp-protocol-version': '2025-11-25' }

  const hostile = await post(app, rpc(1, 'resources/read', { uri: `logs://${'-'.repeat(20_000)}/` }), headers)
  assert.equal(hostile.statusCode, 200, hostile.body)
  assert.equal(hostile.json().error.code, ErrorCode.ResourceNotFound)

  const fine = await post(app, rpc(2, 'resources/read', { uri: 'logs://api-2025-06-18' }), headers)
  assert.deepEqual(fine.json().result, { contents: [{ uri: 'logs://api-2025-06-18', text: 'api 2025-06-18' }] })
})

test('the matcher still splits as greedily as the regular expression did', () => {
  const template = new UriTemplate(TEMPLATE)
  assert.equal(template.match(`logs://${'-'.repeat(20_000)}/`), undefined)
  // Greedy: the first variable takes all but the three separators.
  assert.deepEqual(template.match(`logs://${'-'.repeat(20_000)}`), { service: '-'.repeat(19_997), year: '', month: '', day: '' })
  assert.deepEqual(new UriTemplate('file:///{+a}/{+b}').match(`file:///${'a/'.repeat(10_000)}#`), undefined)
  assert.deepEqual(new UriTemplate('file:///{+a}/{+b}').match('file:///x/y/z'), { a: 'x/y', b: 'z' })
})
