import { Kind, type Static, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors'
import { Value } from '@sinclair/typebox/value'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { registerStandardFormats } from './formats.ts'

registerStandardFormats()

// ajv-formats is CommonJS: its plugin is the module itself (and its `default`).
const addFormats = ((addFormatsModule as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => unknown

/** A compiled check of one schema: `check` is the fast path, `explain` names the first failure. */
export interface Validator<T = unknown> {
  check (value: unknown): value is T
  /** `"/path: message"` for the first error, for the wire. */
  explain (value: unknown): string
}

let ajv: Ajv2020 | undefined

/**
 * A union only says "Expected union value"; the variant that got furthest (the longest error
 * path, e.g. `/cursor` of `{ cursor: 5 }` against `Object | Undefined`) says what is wrong.
 */
function innermost (error: ValueError | undefined): ValueError | undefined {
  while (error?.type === ValueErrorType.Union) {
    let deepest: ValueError | undefined
    for (const variant of error.errors) {
      const first = variant.First()
      if (first !== undefined && (deepest === undefined || first.path.length > deepest.path.length)) deepest = first
    }
    if (deepest === undefined) break
    error = deepest
  }
  return error
}

/**
 * Compiles a TypeBox schema with TypeBox's own compiler; a plain JSON Schema (a tool written with
 * `$defs`, `$ref` or a 2020-12 `$schema`, say) goes to Ajv, created the first time one is needed.
 */
export function compile<S extends TSchema> (schema: S): Validator<Static<S>>
export function compile<T = unknown> (schema: object): Validator<T>
export function compile (schema: object): Validator {
  if (Kind in schema) {
    const compiled = TypeCompiler.Compile(schema as TSchema)
    return {
      check: (value): value is unknown => compiled.Check(value),
      explain (value) {
        const error = innermost(compiled.Errors(value).First())
        return error === undefined ? 'invalid' : `${error.path || '/'}: ${error.message}`
      }
    }
  }
  if (ajv === undefined) {
    ajv = new Ajv2020({ strict: false, allErrors: false })
    addFormats(ajv)
  }
  const compiled = ajv.compile(schema)
  return {
    check: (value): value is unknown => compiled(value) as boolean,
    explain (value) {
      compiled(value)
      const error = compiled.errors?.[0]
      return error === undefined ? 'invalid' : `${error.instancePath || '/'}: ${error.message ?? 'invalid'}`
    }
  }
}

/** The allowed values of a union of literals (`'auto' | 'json'`), or `undefined` for any other schema. */
function literalsOf (schema: TSchema): unknown[] | undefined {
  const variants = (schema as { anyOf?: TSchema[] }).anyOf
  if (variants === undefined || !variants.every((variant) => 'const' in variant)) return undefined
  return variants.map((variant) => (variant as unknown as { const: unknown }).const)
}

/**
 * Every problem of `value` against `schema`, for option errors at register time: one line per
 * failing path, naming the allowed values of a union of literals (`/responseMode: expected one
 * of 'auto', 'json', 'sse' (got 'xml')`).
 */
export function explainSettings (schema: TSchema, value: unknown): string {
  const problems = new Map<string, string>()
  for (const error of Value.Errors(schema, value)) {
    const path = error.path === '' ? '/' : error.path
    if (problems.has(path)) continue
    const allowed = literalsOf(error.schema)
    problems.set(path, allowed === undefined
      ? `${path}: ${error.message} (got ${JSON.stringify(error.value) ?? 'undefined'})`
      : `${path}: expected one of ${allowed.map((option) => JSON.stringify(option)).join(', ')} (got ${JSON.stringify(error.value) ?? 'undefined'})`)
  }
  return [...problems.values()].join('; ')
}
