// Properties of the URI template matcher over generated templates and URIs: `match` inverts
// `expand` where the template can be inverted, reads exactly what the regular expressions it once
// compiled to read, decodes percent escapes once, and cannot backtrack: it builds no regular
// expression from a template (checked in its source), and hostile URIs finish in linear time.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import safeRegex from 'safe-regex2'
import ts from 'typescript'
import { UriTemplate } from '../src/index.ts'

const SOURCE = new URL('../src/uri-template.ts', import.meta.url)

// ---------------------------------------------------------------------------------------------
// The oracle: the matcher as it was, a regular expression per template (backtracking, so only
// for short URIs), with the same reading of the groups.

type Operator = '' | '+' | '#' | '/' | '.' | '?' | '&'
interface Expression { operator: Operator, names: string[] }
type Part = string | Expression

function parseTemplate (template: string): Part[] {
  const parts: Part[] = []
  let last = 0
  for (const found of template.matchAll(/\{([^{}]*)\}/g)) {
    if (found.index > last) parts.push(template.slice(last, found.index))
    const body = found[1]!
    const operator = (['+', '#', '/', '.', '?', '&'].includes(body[0]!) ? body[0] : '') as Operator
    parts.push({ operator, names: body.slice(operator.length).split(',') })
    last = found.index + found[0].length
  }
  if (last < template.length) parts.push(template.slice(last))
  return parts
}

function toPattern (part: Part, next: Part | undefined): string {
  if (typeof part === 'string') return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const { operator, names } = part
  const single = names.length === 1
  switch (operator) {
    case '': return single && typeof next === 'object' && next.operator === '.' ? '([^/?#,]*?)' : names.map(() => '([^/?#,]*)').join(',')
    case '+': return single ? '([^?#]*)' : names.map(() => '([^?#,]*)').join(',')
    case '#': return '(?:#' + (single ? '(.*)' : names.map(() => '([^,]*)').join(',')) + ')?'
    case '/': return names.map(() => '(?:/([^/?#]*))?').join('')
    case '.': return names.map(() => '(?:\\.([^/?#.]*))?').join('')
    case '?': return '(?:\\?([^#]*))?'
    case '&': return '(?:&([^#]*))?'
  }
}

function decode (value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

function oracleMatch (template: string, uri: string): Record<string, string> | undefined {
  const parts = parseTemplate(template)
  const found = new RegExp('^' + parts.map((part, i) => toPattern(part, parts[i + 1])).join('') + '$').exec(uri)
  if (found === null) return undefined
  const variables: Record<string, string> = {}
  let group = 1
  for (const part of parts) {
    if (typeof part === 'string') continue
    if (part.operator === '?' || part.operator === '&') {
      const query = found[group++]
      if (query === undefined) continue
      for (const pair of query.split('&')) {
        const equals = pair.indexOf('=')
        const name = decode(equals === -1 ? pair : pair.slice(0, equals))
        if (part.names.includes(name)) variables[name] = equals === -1 ? '' : decode(pair.slice(equals + 1))
      }
      continue
    }
    for (const name of part.names) {
      const value = found[group++]
      if (value !== undefined) variables[name] = decode(value)
    }
  }
  return variables
}

// ---------------------------------------------------------------------------------------------
// Generators.

const OPERATORS: Operator[] = ['', '+', '#', '/', '.', '?', '&']
const LITERALS = ['x://', '/', '-', '.', ',', 'a', 'ab/', '?k=1', '&', '=', '%', ':', '~']

/** Any template of the supported forms: up to four parts, names unique, ambiguous ones included. */
const anyTemplate = fc.array(fc.oneof(
  fc.constantFrom(...LITERALS),
  fc.record({ operator: fc.constantFrom(...OPERATORS), count: fc.integer({ min: 1, max: 3 }) })
), { minLength: 1, maxLength: 4 }).map((items) => {
  let name = 0
  return items.map((item) => typeof item === 'string'
    ? item
    : `{${item.operator}${Array.from({ length: item.count }, () => String.fromCharCode(97 + name++)).join(',')}}`).join('')
})

/** Short URIs over the characters that matter to the matcher: every separator, escapes, a newline. */
const shortUri = fc.array(fc.constantFrom('a', 'b', 'x', ':', '/', '?', '#', ',', '.', '&', '=', '-', '%', '2', '5', 'C', '3', '\n'), { maxLength: 16 })
  .map((chars) => chars.join(''))

const anyValue = fc.string({ unit: 'binary', maxLength: 8 })
const noDot = fc.string({ unit: 'binary', maxLength: 8 }).filter((value) => !value.includes('.'))
// Reserved expansion ({+x}, {#x}) writes `?`, `#` and `%XX` as they are: values without them.
const reservedValue = fc.string({ unit: 'binary', maxLength: 8 }).filter((value) => !/[?#%]/.test(value))

interface Invertible { template: string, variables: Record<string, string> }

/**
 * Templates that can be inverted, with values they can carry: a path of literal segments,
 * `{x}`, `{x,y}`, `{x}{.ext}` (ext without a dot), then maybe `{+rest}` or `{/x,y}` (defined
 * left to right), a query `{?x,y}` (any subset), a fragment `{#x}`.
 */
const invertible: fc.Arbitrary<Invertible> = fc.record({
  scheme: fc.constantFrom('notes://', 'file:///', 'x:'),
  segments: fc.array(fc.constantFrom('literal', 'simple', 'pair', 'ext'), { maxLength: 3 }),
  tail: fc.constantFrom('none', 'reserved', 'path'),
  query: fc.boolean(),
  fragment: fc.boolean(),
  values: fc.array(anyValue, { minLength: 12, maxLength: 12 }),
  dotless: fc.array(noDot, { minLength: 3, maxLength: 3 }),
  reserved: fc.array(reservedValue, { minLength: 2, maxLength: 2 }),
  defined: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 })
}).map(({ scheme, segments, tail, query, fragment, values, dotless, reserved, defined }) => {
  let name = 0
  const next = (): string => `v${name++}`
  const variables: Record<string, string> = {}
  const take = (value: string): string => {
    const variable = next()
    variables[variable] = value
    return variable
  }
  let template = scheme
  segments.forEach((segment, i) => {
    if (i > 0) template += '/'
    if (segment === 'literal') template += 'seg'
    if (segment === 'simple') template += `{${take(values.pop()!)}}`
    if (segment === 'pair') template += `{${take(values.pop()!)},${take(values.pop()!)}}`
    if (segment === 'ext') template += `{${take(values.pop()!)}}{.${take(dotless[i]!)}}`
  })
  if (tail === 'reserved') template += `/{+${take(reserved[0]!)}}`
  if (tail === 'path') {
    // Defined left to right: `{/a,b}` with only b would read back as a.
    const first = next()
    const second = next()
    if (defined[0]!) {
      variables[first] = values.pop()!
      if (defined[1]!) variables[second] = values.pop()!
    }
    template += `{/${first},${second}}`
  }
  if (query) {
    const names = [next(), next()]
    names.forEach((variable, i) => { if (defined[2 + i]!) variables[variable] = values.pop()! })
    template += `{?${names.join(',')}}`
  }
  if (fragment) template += `{#${take(reserved[1]!)}}`
  return { template, variables }
})

// ---------------------------------------------------------------------------------------------

test('match inverts expand for templates that can be inverted', () => {
  fc.assert(fc.property(invertible, ({ template, variables }) => {
    const uriTemplate = new UriTemplate(template)
    const uri = uriTemplate.expand(variables)
    assert.deepEqual(uriTemplate.match(uri), variables, `${template} expanded to ${JSON.stringify(uri)}`)
  }), { numRuns: 1000 })
})

test('match reads what the regular expressions it compiled to used to read', () => {
  const uriFor = (template: string): fc.Arbitrary<string> => fc.oneof(
    shortUri,
    // An expansion, then maybe something appended or cut, so near misses are common.
    fc.tuple(fc.array(anyValue, { minLength: 12, maxLength: 12 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), shortUri, fc.nat(4))
      .map(([values, defined, extra, cut]) => {
        const uriTemplate = new UriTemplate(template)
        const variables = Object.fromEntries(uriTemplate.variableNames.map((name, i) => [name, defined[i]! ? [...values[i]!].slice(0, 3).join('') : undefined]))
        const uri = uriTemplate.expand(variables).slice(0, 24)
        return cut === 0 ? uri + extra.slice(0, 4) : uri.slice(0, Math.max(0, uri.length - cut))
      }))
  fc.assert(fc.property(anyTemplate.chain((template) => fc.tuple(fc.constant(template), uriFor(template))), ([template, uri]) => {
    assert.deepEqual(new UriTemplate(template).match(uri), oracleMatch(template, uri), `${template} against ${JSON.stringify(uri)}`)
  }), { numRuns: 3000 })
})

test('percent escapes are decoded once, however deeply nested', () => {
  const escapes = fc.array(fc.constantFrom('%', '25', '%25', '%2525', '41', '%41', '%E2%98', '%83', 'Z', '%%', '%2'), { maxLength: 12 })
    .map((pieces) => pieces.join(''))
  fc.assert(fc.property(escapes, (text) => {
    const once = decode(text)
    assert.deepEqual(new UriTemplate('x://{id}').match(`x://${text}`), { id: once })
    assert.deepEqual(new UriTemplate('x://{+path}').match(`x://${text}`), { path: once })
  }), { numRuns: 500 })
})

test('the matcher builds no regular expression from a template, and its own are safe', () => {
  const source = ts.createSourceFile('uri-template.ts', readFileSync(SOURCE, 'utf8'), ts.ScriptTarget.Latest, true)
  const literals: string[] = []
  const constructed: string[] = []
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) literals.push(node.getText(source))
    if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && node.expression.getText(source) === 'RegExp') constructed.push(node.getText(source))
    ts.forEachChild(node, visit)
  }
  visit(source)
  assert.deepEqual(constructed, [], 'a regular expression built at run time')
  assert.ok(literals.length > 0, 'the source was read')
  const unsafe = literals.filter((literal) => {
    const slash = literal.lastIndexOf('/')
    return !safeRegex(new RegExp(literal.slice(1, slash), literal.slice(slash + 1)))
  })
  assert.deepEqual(unsafe, [])
})

/**
 * Templates where a backtracking engine has many ways to split a URI: variables side by side or
 * around separators they may also contain, next to the random ones.
 */
const ambiguousTemplate = fc.oneof(
  fc.constantFrom('x://{a}-{b}-{c}-{d}', 'file:///{+a}/{+b}/{+c}', 'x://{a}{b}{c}', 'x://{a}.{b}.{c}{.d}',
    's{?q}{&r}{&t}', '{+a},{+b},{+c}/x', 'x://{a},{b}{#c}', 'x://{a}{/b,c}{.d,e}'),
  fc.array(fc.oneof(
    fc.constantFrom('-', '.', ',', '/', '&', '='),
    fc.constantFrom(...OPERATORS).map((operator) => ({ operator }))
  ), { minLength: 3, maxLength: 8 }).map((items) => {
    let name = 0
    return 'x://' + items.map((item) => typeof item === 'string' ? item : `{${item.operator}${String.fromCharCode(97 + name++)}}`).join('')
  }))

/**
 * Long URIs that get past the template's leading literal and then repeat what it splits on,
 * ending in a character that makes the match fail late (or not at all).
 */
const hostile = ambiguousTemplate.chain((template) => fc.record({
  template: fc.constant(template),
  uri: fc.record({
    unit: fc.constantFrom('-', '/', '.', ',', '&', '=', 'a', 'a.', 'a/', '-a', '%25', '%', '?', '&k=', '#', 'k=&'),
    count: fc.integer({ min: 2_000, max: 10_000 }),
    end: fc.constantFrom('', '/', '?', '#', '\n', ',', 'Z')
  }).map(({ unit, count, end }) => template.slice(0, Math.max(0, template.indexOf('{'))) + unit.repeat(count) + end)
}))

test('hostile URIs: long runs of separators and escapes are matched in linear time', () => {
  // The regular expressions took over a minute for `x://{a}-{b}-{c}-{d}` and 1,000 dashes (and
  // grew as the fourth power). The bound below is a thousand times what the automaton needs: it
  // fails only on super-linear work, never on a slow machine.
  fc.assert(fc.property(hostile, ({ template, uri }) => {
    const uriTemplate = new UriTemplate(template)
    const start = performance.now()
    const found = uriTemplate.match(uri)
    const elapsed = performance.now() - start
    assert.ok(elapsed < 5_000, `${template} took ${Math.round(elapsed)} ms on ${uri.length} characters`)
    if (found !== undefined) {
      for (const [name, value] of Object.entries(found)) {
        assert.ok(uriTemplate.variableNames.includes(name))
        assert.equal(typeof value, 'string')
      }
    }
  }), { numRuns: 150 })
})
