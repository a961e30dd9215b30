import { Kind, type TSchema } from '@sinclair/typebox'
import { Value, ValueErrorType, type ValueError, type ValueErrorIterator } from '@sinclair/typebox/value'

/** A schema as this module reads it: TypeBox's, with our `expected` wording where the type alone says too little. */
type Described = TSchema & {
  expected?: string
  const?: unknown
  anyOf?: Described[]
  items?: Described
  properties?: Record<string, Described>
  patternProperties?: Record<string, Described>
  minimum?: number
  maximum?: number
  minLength?: number
  minItems?: number
}

function shown (value: unknown): string {
  const text = JSON.stringify(value)
  if (text === undefined) return String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

/** What a value must be, in words: the allowed values of a union of literals, the range of an integer... */
export function expectation (schema: Described): string {
  if (schema.expected !== undefined) return schema.expected
  if ('const' in schema) return shown(schema.const)
  if (schema.anyOf !== undefined) {
    const alternatives = schema.anyOf.map(expectation)
    if (alternatives.length > 2 && schema.anyOf.every((alternative) => 'const' in alternative)) return `one of ${alternatives.join(', ')}`
    return alternatives.join(' or ')
  }
  switch (schema.type) {
    case 'integer': {
      const { minimum, maximum } = schema
      if (minimum !== undefined && maximum !== undefined) return `an integer from ${minimum} to ${maximum}`
      if (minimum !== undefined) return `an integer of at least ${minimum}`
      return 'an integer'
    }
    case 'boolean': return 'true or false'
    case 'string': return schema.minLength !== undefined && schema.minLength > 0 ? 'a non-empty string' : 'a string'
    case 'array': return schema.minItems !== undefined && schema.minItems > 0 ? `a list of at least ${schema.minItems}` : 'a list'
    case 'object': return 'an object'
    default: return String(schema[Kind] ?? 'something else').toLowerCase()
  }
}

/** The schema of the value at `path` (a JSON pointer) under `schema`, as far as it can be followed. */
function schemaAt (schema: Described, path: string): Described | undefined {
  let current: Described | undefined = schema
  for (const segment of path.split('/').slice(1)) {
    if (current === undefined) return undefined
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~')
    if (current.properties !== undefined) current = current.properties[key]
    else if (current.patternProperties !== undefined) current = Object.values(current.patternProperties)[0]
    else if (current.items !== undefined) current = current.items
    else return undefined
  }
  return current
}

/** The alternative of a union that fits the shape of the value (the object one for an object...), if one does. */
function fittingAlternative (alternatives: Described[], value: unknown): number {
  const shape = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value
  const fits = alternatives.map((alternative, index) => ({ index, type: alternative.type, literal: 'const' in alternative }))
    .filter(({ type, literal }) => !literal && (type === shape || (type === 'integer' && shape === 'number')))
  return fits.length === 1 ? fits[0]!.index : -1
}

function * problemsOf (root: Described, errors: Iterable<ValueError>): Generator<[string, string]> {
  for (const error of errors) {
    const path = error.path === '' ? '/' : error.path
    const schema = error.schema as Described
    if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      const parent = schemaAt(root, error.path.slice(0, error.path.lastIndexOf('/')))
      const known = Object.keys(parent?.properties ?? {})
      yield [path, `unknown option${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`]
      continue
    }
    if (error.type === ValueErrorType.Union && schema.anyOf !== undefined) {
      const index = fittingAlternative(schema.anyOf, error.value)
      const nested = error.errors[index] as ValueErrorIterator | undefined
      if (nested !== undefined) {
        yield * problemsOf(root, nested)
        continue
      }
    }
    if (error.type === ValueErrorType.ObjectRequiredProperty) {
      yield [path, `required: ${expectation(schema)}`]
      continue
    }
    yield [path, `must be ${expectation(schema)} (got ${shown(error.value)})`]
  }
}

/**
 * Every problem of `value` against `schema`, one line each, saying what is allowed: `/path: must
 * be ... (got ...)`; `/path: unknown option (known: ...)`. One line per path (the first problem
 * found there), so a fix needs one look, not one restart per mistake.
 */
export function optionProblems (schema: TSchema, value: unknown): string[] {
  const problems = new Map<string, string>()
  for (const [path, problem] of problemsOf(schema as Described, Value.Errors(schema, value))) {
    if (!problems.has(path)) problems.set(path, problem)
  }
  return [...problems].map(([path, problem]) => `${path}: ${problem}`)
}
