/**
 * RFC 6570 URI templates, for resource templates: levels 1 and 2 (`{var}`, `{+var}`, `{#var}`)
 * and the level 3 forms that have a clear inverse (`{x,y}`, `{/var}`, `{.var}`, `{?x,y}`,
 * `{&x}`). `match` is the inverse of expansion: it reads variables back out of a concrete URI.
 */

type Operator = '' | '+' | '#' | '/' | '.' | '?' | '&'

interface Expression {
  operator: Operator
  names: string[]
}

type Part = string | Expression

const OPERATORS = new Set(['+', '#', '/', '.', '?', '&'])
const EXPRESSION = /\{([^{}]*)\}/g
const NAME = /^[A-Za-z0-9_.%]+$/

export class UriTemplate {
  readonly template: string
  readonly variableNames: readonly string[]
  readonly #parts: Part[]
  readonly #pattern: RegExp

  constructor (template: string) {
    this.template = template
    this.#parts = parse(template)
    this.variableNames = this.#parts.flatMap((part) => typeof part === 'string' ? [] : part.names)
    this.#pattern = new RegExp('^' + this.#parts.map((part, i) => toPattern(part, this.#parts[i + 1])).join('') + '$')
  }

  static isTemplate (uri: string): boolean {
    return /\{[^{}]+\}/.test(uri)
  }

  expand (variables: Record<string, string | undefined>): string {
    return this.#parts.map((part) => typeof part === 'string' ? part : expandExpression(part, variables)).join('')
  }

  /** The variables of `uri`, or `undefined` when the URI does not fit the template. */
  match (uri: string): Record<string, string> | undefined {
    const found = this.#pattern.exec(uri)
    if (found === null) return undefined
    const variables: Record<string, string> = {}
    let group = 1
    for (const part of this.#parts) {
      if (typeof part === 'string') continue
      if (part.operator === '?' || part.operator === '&') {
        readQuery(found[group++], part.names, variables)
        continue
      }
      for (const name of part.names) {
        const value = found[group++]
        if (value !== undefined) variables[name] = decode(value)
      }
    }
    return variables
  }
}

function parse (template: string): Part[] {
  const parts: Part[] = []
  let last = 0
  const literal = (text: string): string => {
    if (/[{}]/.test(text)) throw new TypeError(`Unbalanced brace in URI template "${template}"`)
    return text
  }
  for (const found of template.matchAll(EXPRESSION)) {
    if (found.index > last) parts.push(literal(template.slice(last, found.index)))
    const body = found[1]!
    const operator = (OPERATORS.has(body[0]!) ? body[0] : '') as Operator
    const names = body.slice(operator.length).split(',')
    if (names.some((name) => !NAME.test(name))) {
      throw new TypeError(`Invalid URI template expression "{${body}}" in "${template}"`)
    }
    parts.push({ operator, names })
    last = found.index + found[0].length
  }
  if (last < template.length) parts.push(literal(template.slice(last)))
  return parts
}

function escapeLiteral (literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function toPattern (part: Part, next: Part | undefined): string {
  if (typeof part === 'string') return escapeLiteral(part)
  const { operator, names } = part
  // A lone variable may hold what would otherwise separate variables: a comma, or (lazily) the
  // dots of a name followed by `{.ext}`.
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

function readQuery (query: string | undefined, names: string[], into: Record<string, string>): void {
  if (query === undefined) return
  for (const pair of query.split('&')) {
    const equals = pair.indexOf('=')
    const name = decode(equals === -1 ? pair : pair.slice(0, equals))
    if (names.includes(name)) into[name] = equals === -1 ? '' : decode(pair.slice(equals + 1))
  }
}

function decode (value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

function encode (value: string, reserved: boolean): string {
  // encodeURIComponent leaves !'()* alone; RFC 6570 simple expansion encodes all but unreserved.
  return reserved
    ? encodeURI(value).replace(/%25([0-9A-Fa-f]{2})/g, '%$1')
    : encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

function expandExpression ({ operator, names }: Expression, variables: Record<string, string | undefined>): string {
  const defined = names.filter((name) => variables[name] !== undefined)
  if (defined.length === 0) return ''
  const reserved = operator === '+' || operator === '#'
  const values = defined.map((name) => encode(variables[name]!, reserved))
  switch (operator) {
    case '': case '+': return values.join(',')
    case '#': return '#' + values.join(',')
    case '/': return values.map((value) => '/' + value).join('')
    case '.': return values.map((value) => '.' + value).join('')
    case '?': case '&':
      return operator + defined.map((name, i) => `${encodeURIComponent(name)}=${values[i]}`).join('&')
  }
}
