/**
 * RFC 6570 URI templates, for resource templates: levels 1 and 2 (`{var}`, `{+var}`, `{#var}`)
 * and the level 3 forms that have a clear inverse (`{x,y}`, `{/var}`, `{.var}`, `{?x,y}`,
 * `{&x}`). `match` is the inverse of expansion: it reads variables back out of a concrete URI.
 *
 * The URI comes from the client, so matching must not backtrack: a template such as
 * `logs://{a}-{b}-{c}-{d}` compiled to a regular expression takes O(n^4) steps on a URI of n
 * dashes (a minute and a half for 1,000). The template is compiled instead to a small automaton
 * run as a Pike VM: every input character is read once, by at most one thread per instruction,
 * so a match costs O(URI length x template size) whatever the input. Threads run in priority
 * order, which gives the same variables a backtracking regex engine would (greedy, or lazy for a
 * name before `{.ext}`).
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
  readonly #program: Program

  constructor (template: string) {
    this.template = template
    this.#parts = parse(template)
    this.variableNames = this.#parts.flatMap((part) => typeof part === 'string' ? [] : part.names)
    this.#program = compile(this.#parts)
  }

  static isTemplate (uri: string): boolean {
    return /\{[^{}]+\}/.test(uri)
  }

  expand (variables: Record<string, string | undefined>): string {
    return this.#parts.map((part) => typeof part === 'string' ? part : expandExpression(part, variables)).join('')
  }

  /** The variables of `uri`, or `undefined` when the URI does not fit the template. */
  match (uri: string): Record<string, string> | undefined {
    const found = run(this.#program, uri)
    if (found === undefined) return undefined
    const variables: Record<string, string> = {}
    let group = 0
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

// The automaton. Each instruction either reads one UTF-16 code unit (`char`, `class`) or moves
// without reading (`split` tries `first` before `second`, `jump`, `save` records where a capture
// starts or ends); `match` accepts when the whole URI has been read.
type Instruction =
  | { op: 'char', code: number }
  | { op: 'class', excluded: number[] }
  | { op: 'split', first: number, second: number }
  | { op: 'jump', to: number }
  | { op: 'save', slot: number }
  | { op: 'match' }

interface Program {
  code: Instruction[]
  groups: number
  /** The literal every match starts with, checked before the automaton runs. */
  prefix: string
  /** Per instruction, the mark of the last list of threads that visited it (see `nextMark`). */
  seen: Float64Array
  mark: number
}

// What `.` excludes in a JavaScript regular expression: the line terminators.
const LINE_TERMINATORS = '\n\r\u2028\u2029'

/** Compiles the parts of a template; the shape of each expression's match is told beside it. */
function compile (parts: Part[]): Program {
  const code: Instruction[] = []
  let groups = 0
  const literal = (text: string): void => {
    for (let i = 0; i < text.length; i++) code.push({ op: 'char', code: text.charCodeAt(i) })
  }
  // Any number of code units outside `excluded`: as many as possible, or as few with `lazy`.
  const repeat = (excluded: string, lazy = false): void => {
    const loop = code.length
    code.push({ op: 'match' }) // replaced by the split below once the exit is known
    code.push({ op: 'class', excluded: [...excluded].map((char) => char.charCodeAt(0)) }, { op: 'jump', to: loop })
    code[loop] = lazy ? { op: 'split', first: code.length, second: loop + 1 } : { op: 'split', first: loop + 1, second: code.length }
  }
  const capture = (body: () => void): void => {
    const group = groups++
    code.push({ op: 'save', slot: 2 * group })
    body()
    code.push({ op: 'save', slot: 2 * group + 1 })
  }
  const optional = (body: () => void): void => {
    const split = code.length
    code.push({ op: 'match' })
    body()
    code[split] = { op: 'split', first: split + 1, second: code.length }
  }
  const list = (names: string[], excluded: string): void => names.forEach((_name, i) => {
    if (i > 0) literal(',')
    capture(() => repeat(excluded))
  })

  parts.forEach((part, i) => {
    if (typeof part === 'string') return literal(part)
    const { operator, names } = part
    const next = parts[i + 1]
    // A lone variable may hold what would otherwise separate variables: a comma, or (lazily) the
    // dots of a name followed by `{.ext}`.
    const single = names.length === 1
    switch (operator) {
      case '': // ([^/?#,]*) joined by commas; ([^/?#,]*?) before {.ext}
        if (single && typeof next === 'object' && next.operator === '.') capture(() => repeat('/?#,', true))
        else list(names, '/?#,')
        return
      case '+': // ([^?#]*) alone, ([^?#,]*) joined by commas
        return single ? capture(() => repeat('?#')) : list(names, '?#,')
      case '#': // (?:#(.*))? alone, (?:#([^,]*),...)? for several
        return optional(() => {
          literal('#')
          if (single) capture(() => repeat(LINE_TERMINATORS))
          else list(names, ',')
        })
      case '/': // (?:/([^/?#]*))? for each
        return names.forEach(() => optional(() => { literal('/'); capture(() => repeat('/?#')) }))
      case '.': // (?:\.([^/?#.]*))? for each
        return names.forEach(() => optional(() => { literal('.'); capture(() => repeat('/?#.')) }))
      case '?': case '&': // (?:\?([^#]*))?, the pairs read afterwards
        return optional(() => { literal(operator); capture(() => repeat('#')) })
    }
  })
  code.push({ op: 'match' })
  const prefix = typeof parts[0] === 'string' ? parts[0] : ''
  return { code, groups, prefix, seen: new Float64Array(code.length), mark: 0 }
}

interface Thread {
  pc: number
  saved: number[]
}

/**
 * Runs `program` over the whole of `input` (anchored at both ends) and returns each group's text
 * (`undefined` for a group that took no part), or `undefined` when the input does not match.
 * Threads are kept in priority order and one per instruction at each position, so the run
 * takes at most (input length + 1) x program size steps.
 */
function run (program: Program, input: string): Array<string | undefined> | undefined {
  // The leading literal is the first instructions: checked at once, then skipped.
  const { prefix } = program
  if (!input.startsWith(prefix)) return undefined
  let threads: Thread[] = []
  add(program, threads, prefix.length, new Array<number>(2 * program.groups).fill(-1), prefix.length, nextMark(program))
  for (let at = prefix.length; threads.length > 0; at++) {
    const next: Thread[] = []
    const mark = nextMark(program)
    for (const { pc, saved } of threads) {
      const instruction = program.code[pc]!
      if (instruction.op === 'match') {
        // The first thread to accept outranks every thread after it.
        if (at === input.length) return groupsOf(saved, program.groups, input)
      } else if (at < input.length) {
        const char = input.charCodeAt(at)
        const accepted = instruction.op === 'char' ? char === instruction.code : instruction.op === 'class' && !instruction.excluded.includes(char)
        if (accepted) add(program, next, pc + 1, saved, at + 1, mark)
      }
    }
    threads = next
  }
  return undefined
}

/** A number that marks the instructions visited while building one list of threads. */
function nextMark (program: Program): number {
  if (program.mark === Number.MAX_SAFE_INTEGER) {
    program.seen.fill(0)
    program.mark = 0
  }
  return ++program.mark
}

/** Adds the thread at `pc`, following moves that read nothing; each instruction once per list. */
function add (program: Program, threads: Thread[], pc: number, saved: number[], at: number, mark: number): void {
  if (program.seen[pc] === mark) return
  program.seen[pc] = mark
  const instruction = program.code[pc]!
  switch (instruction.op) {
    case 'jump': return add(program, threads, instruction.to, saved, at, mark)
    case 'split':
      add(program, threads, instruction.first, saved, at, mark)
      return add(program, threads, instruction.second, saved, at, mark)
    case 'save': {
      const copy = saved.slice()
      copy[instruction.slot] = at
      return add(program, threads, pc + 1, copy, at, mark)
    }
    default: threads.push({ pc, saved })
  }
}

function groupsOf (saved: number[], groups: number, input: string): Array<string | undefined> {
  const texts: Array<string | undefined> = []
  for (let group = 0; group < groups; group++) {
    const start = saved[2 * group]!
    const end = saved[2 * group + 1]!
    texts.push(start === -1 || end === -1 ? undefined : input.slice(start, end))
  }
  return texts
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
