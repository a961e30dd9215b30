import { test } from 'node:test'
import assert from 'node:assert/strict'
import { UriTemplate } from '../src/index.ts'

// The variables of the examples of RFC 6570, section 1.2.
const RFC_VARIABLES = {
  var: 'value',
  hello: 'Hello World!',
  path: '/foo/bar',
  empty: '',
  x: '1024',
  y: '768'
}

test('expand follows the level 1 to 3 examples of RFC 6570', () => {
  const examples: Array<[string, string]> = [
    // Level 1
    ['{var}', 'value'],
    ['{hello}', 'Hello%20World%21'],
    // Level 2
    ['{+var}', 'value'],
    ['{+hello}', 'Hello%20World!'],
    ['{+path}/here', '/foo/bar/here'],
    ['here?ref={+path}', 'here?ref=/foo/bar'],
    ['X{#var}', 'X#value'],
    ['X{#hello}', 'X#Hello%20World!'],
    // Level 3
    ['map?{x,y}', 'map?1024,768'],
    ['{x,hello,y}', '1024,Hello%20World%21,768'],
    ['{+x,hello,y}', '1024,Hello%20World!,768'],
    ['{+path,x}/here', '/foo/bar,1024/here'],
    ['{#x,hello,y}', '#1024,Hello%20World!,768'],
    ['{#path,x}/here', '#/foo/bar,1024/here'],
    ['X{.var}', 'X.value'],
    ['X{.x,y}', 'X.1024.768'],
    ['{/var}', '/value'],
    ['{/var,x}/here', '/value/1024/here'],
    ['{?x,y}', '?x=1024&y=768'],
    ['{?x,y,empty}', '?x=1024&y=768&empty='],
    ['?fixed=yes{&x}', '?fixed=yes&x=1024'],
    ['{&x,y,empty}', '&x=1024&y=768&empty=']
  ]
  const wrong = examples
    .map(([template, expected]) => ({ template, expected, actual: new UriTemplate(template).expand(RFC_VARIABLES) }))
    .filter(({ expected, actual }) => actual !== expected)
  assert.deepEqual(wrong, [])
})

test('expand leaves out undefined variables', () => {
  assert.equal(new UriTemplate('search{?q,lang}').expand({ q: 'mcp' }), 'search?q=mcp')
  assert.equal(new UriTemplate('search{?q,lang}').expand({}), 'search')
  assert.equal(new UriTemplate('api{/version,resource}').expand({ version: 'v1' }), 'api/v1')
  assert.equal(new UriTemplate('notes://{id}').expand({}), 'notes://')
})

test('{var}: expand percent-encodes, match percent-decodes', () => {
  const template = new UriTemplate('users://{id}/profile')
  const uri = template.expand({ id: 'a b/c?d#e' })
  assert.equal(uri, 'users://a%20b%2Fc%3Fd%23e/profile')
  assert.deepEqual(template.match(uri), { id: 'a b/c?d#e' })
  assert.deepEqual(template.match('users://caf%C3%A9/profile'), { id: 'café' })
  assert.deepEqual(template.match('users://42/profile'), { id: '42' })
})

test('{var}: a value does not span a path segment', () => {
  const template = new UriTemplate('users://{id}/profile')
  assert.equal(template.match('users://a/b/profile'), undefined)
  assert.equal(template.match('users://a?b/profile'), undefined)
})

test('{a}/{b}: several variables', () => {
  const template = new UriTemplate('notes://{folder}/{id}')
  assert.deepEqual(template.variableNames, ['folder', 'id'])
  assert.deepEqual(template.match('notes://work/42'), { folder: 'work', id: '42' })
  assert.equal(template.match('notes://work'), undefined)
})

test('{+var}: reserved expansion keeps slashes and matches across segments', () => {
  const template = new UriTemplate('file:///{+path}')
  const uri = template.expand({ path: 'src/lib/main file.ts' })
  assert.equal(uri, 'file:///src/lib/main%20file.ts')
  assert.deepEqual(template.match(uri), { path: 'src/lib/main file.ts' })
  assert.deepEqual(template.match('file:///a/b/c'), { path: 'a/b/c' })
  assert.equal(template.match('file:///a?b'), undefined)
})

test('{+var}: a single variable may hold a comma, which reserved expansion keeps', () => {
  const template = new UriTemplate('file:///{+path}')
  const uri = template.expand({ path: 'docs/a,b.txt' })
  assert.equal(uri, 'file:///docs/a,b.txt')
  assert.deepEqual(template.match(uri), { path: 'docs/a,b.txt' })
})

test('{/var}: path segments, each optional', () => {
  const template = new UriTemplate('api{/version,resource}')
  assert.equal(template.expand({ version: 'v1', resource: 'items' }), 'api/v1/items')
  assert.deepEqual(template.match('api/v1/items'), { version: 'v1', resource: 'items' })
  assert.deepEqual(template.match('api/v1'), { version: 'v1' })
  assert.deepEqual(template.match('api'), {})
  assert.deepEqual(template.match('api/a%2Fb'), { version: 'a/b' })
  assert.equal(template.match('api/v1/items/extra'), undefined)
})

test('{?a,b}: query parameters, in any order, each optional', () => {
  const template = new UriTemplate('search{?q,lang}')
  const uri = template.expand({ q: 'fast & furious', lang: 'en' })
  assert.equal(uri, 'search?q=fast%20%26%20furious&lang=en')
  assert.deepEqual(template.match(uri), { q: 'fast & furious', lang: 'en' })
  assert.deepEqual(template.match('search?lang=fr&q=x'), { lang: 'fr', q: 'x' })
  assert.deepEqual(template.match('search?q=x'), { q: 'x' })
  assert.deepEqual(template.match('search'), {})
  assert.deepEqual(template.match('search?q=x&other=1'), { q: 'x' }, 'unknown parameters are ignored')
  assert.deepEqual(template.match('search?q='), { q: '' })
  assert.equal(template.match('searching?q=x'), undefined)
})

test('{&x}: continues a literal query', () => {
  const template = new UriTemplate('search?fixed=yes{&page}')
  assert.equal(template.expand({ page: '2' }), 'search?fixed=yes&page=2')
  assert.deepEqual(template.match('search?fixed=yes&page=2'), { page: '2' })
  assert.deepEqual(template.match('search?fixed=yes'), {})
  assert.equal(template.match('search?fixed=no&page=2'), undefined)
})

test('{.ext}: a label after a literal', () => {
  const template = new UriTemplate('file:///report{.ext}')
  assert.equal(template.expand({ ext: 'pdf' }), 'file:///report.pdf')
  assert.deepEqual(template.match('file:///report.pdf'), { ext: 'pdf' })
  assert.deepEqual(template.match('file:///report'), {})
  assert.equal(template.match('file:///other.pdf'), undefined)
})

test('{name}{.ext}: match reads back what expand wrote', () => {
  const template = new UriTemplate('files://{name}{.ext}')
  const uri = template.expand({ name: 'report', ext: 'pdf' })
  assert.equal(uri, 'files://report.pdf')
  assert.deepEqual(template.match(uri), { name: 'report', ext: 'pdf' })
})

test('{#var}: a fragment', () => {
  const template = new UriTemplate('docs://guide{#section}')
  const uri = template.expand({ section: 'intro/part 1' })
  assert.equal(uri, 'docs://guide#intro/part%201')
  assert.deepEqual(template.match(uri), { section: 'intro/part 1' })
  assert.deepEqual(template.match('docs://guide'), {})
})

test('malformed percent-encoding is left as it is', () => {
  assert.deepEqual(new UriTemplate('users://{id}').match('users://100%'), { id: '100%' })
  assert.deepEqual(new UriTemplate('users://{id}').match('users://%E0%A4%A'), { id: '%E0%A4%A' })
})

test('literals are literal: regular expression characters in a template match only themselves', () => {
  const template = new UriTemplate('a.b+c(d)*/{x}')
  assert.deepEqual(template.match('a.b+c(d)*/1'), { x: '1' })
  assert.equal(template.match('aXb+c(d)*/1'), undefined)
  assert.equal(template.match('a.bbc(d)*/1'), undefined)
  assert.equal(new UriTemplate('mem://{id}').match('memo://1'), undefined)
  assert.equal(new UriTemplate('mem://{id}').match('xmem://1'), undefined, 'anchored at the start')
  assert.equal(new UriTemplate('mem://{id}/x').match('mem://1/xy'), undefined, 'anchored at the end')
})

test('variableNames lists every variable in order', () => {
  assert.deepEqual(new UriTemplate('a://{x}{/y,z}{?q,r}{&s}{.t}{#u}{+v}').variableNames, ['x', 'y', 'z', 'q', 'r', 's', 't', 'u', 'v'])
  assert.deepEqual(new UriTemplate('plain://uri').variableNames, [])
})

test('isTemplate tells a template from a plain uri', () => {
  assert.equal(UriTemplate.isTemplate('notes://{id}'), true)
  assert.equal(UriTemplate.isTemplate('search{?q}'), true)
  assert.equal(UriTemplate.isTemplate('notes://42'), false)
  assert.equal(UriTemplate.isTemplate('notes://{}'), false)
})

test('invalid expressions throw', () => {
  for (const template of ['{}', 'a/{a b}', '{x*}', '{x:3}', '{=x}', '{!x}', '{@x}', '{a,}', '{,a}', '{+}', '{a-b}']) {
    assert.throws(() => new UriTemplate(template), TypeError, template)
  }
})

test('unbalanced braces throw instead of becoming literals', () => {
  for (const template of ['notes://{id', 'notes://id}', 'notes://{a{b}}', 'notes://{id}}']) {
    assert.throws(() => new UriTemplate(template), TypeError, template)
  }
})
