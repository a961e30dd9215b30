import { FST_MCP_PROTOCOL_INVALID_DEFINITION } from './errors.ts'

/** One tool parameter mirrored in a `Mcp-Param-{header}` request header (2026-07-28, `x-mcp-header`). */
export interface HeaderParam {
  /** The annotation's value, e.g. `'Region'` → header `Mcp-Param-Region`. */
  header: string
  /** Property keys from the arguments' root, e.g. `['region']` or `['nested', 'tenant']`. */
  path: readonly string[]
  type: 'string' | 'integer' | 'boolean'
}

const ANNOTATION = 'x-mcp-header'
/** RFC 9110 `token` (`1*tchar`): no space, no delimiter, no control character. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const TYPES: ReadonlySet<unknown> = new Set(['string', 'integer', 'boolean'])
const NONE: readonly HeaderParam[] = Object.freeze([])

/** Keywords whose value is a map from names to schemas (the map itself is no schema: its keys are names). */
const SCHEMA_MAPS: ReadonlySet<string> = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas', 'dependencies'])
/** Keywords whose value is instance data, not a schema: an `x-mcp-header` key in it annotates nothing. */
const DATA: ReadonlySet<string> = new Set(['const', 'enum', 'default', 'examples'])

/**
 * The mirrored parameters a tool's `inputSchema` declares (tools.mdx "x-mcp-header", Streamable
 * HTTP "Custom Headers from Tool Parameters"). An annotation is valid only on a property reached
 * from the root by `properties` keys alone, typed `string`, `integer` or `boolean`, with an RFC 9110
 * token for a value that no other annotation of the schema repeats (case-insensitively). Any other
 * annotation, wherever it sits (under `items`, `anyOf`, `$defs`, an unknown keyword...), makes the
 * tool invalid: clients drop such a tool from `tools/list`, so it must never be published.
 * Symbol-keyed members (TypeBox's markers) are not JSON Schema and are not read.
 */
export function headerParamsOf (toolName: string, inputSchema: object): readonly HeaderParam[] {
  const found: HeaderParam[] = []
  // The keys from the root to the node being visited: ['properties', 'a', 'properties', 'b'] while
  // the node is reachable, so the arguments' path is every second key. Copied only for an annotation.
  const trail: string[] = []
  const ancestors = new Set<object>()

  const fail = (problem: string): never => {
    throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`x-mcp-header of tool "${toolName}" at inputSchema${pointer(trail)}: ${problem}`)
  }

  const visit = (node: unknown, reachable: boolean): void => {
    if (node === null || typeof node !== 'object') return
    if (ancestors.has(node)) fail('the schema contains itself')
    ancestors.add(node)
    if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index++) descend(String(index), node[index], false)
    } else {
      const schema = node as Record<string, unknown>
      if (Object.hasOwn(schema, ANNOTATION)) annotation(schema, reachable)
      for (const key of Object.keys(schema)) {
        const value = schema[key]
        if (key === ANNOTATION || DATA.has(key) || value === null || typeof value !== 'object') continue
        if (SCHEMA_MAPS.has(key) && !Array.isArray(value)) {
          trail.push(key)
          const members = value as Record<string, unknown>
          // Only `properties` of a reachable schema keep the chain reachable.
          for (const name of Object.keys(members)) descend(name, members[name], reachable && key === 'properties')
          trail.pop()
        } else {
          descend(key, value, false)
        }
      }
    }
    ancestors.delete(node)
  }

  const descend = (key: string, node: unknown, reachable: boolean): void => {
    trail.push(key)
    visit(node, reachable)
    trail.pop()
  }

  const annotation = (schema: Record<string, unknown>, reachable: boolean): void => {
    if (!reachable || trail.length === 0) {
      fail('only a property reached from the root through "properties" alone may be mirrored (not the root, nor under items, anyOf, $defs and the like)')
    }
    const header = schema[ANNOTATION]
    if (typeof header !== 'string') fail(`the value must be a string, not ${header === null ? 'null' : typeof header}`)
    if (header === '') fail('the value must not be empty')
    if (!TOKEN.test(header as string)) {
      fail(`${JSON.stringify(header)} is not an HTTP token (letters, digits and !#$%&'*+-.^_\`|~ only)`)
    }
    const { type } = schema
    if (!TYPES.has(type)) {
      fail(`a mirrored property must have type "string", "integer" or "boolean", not ${type === undefined ? 'none' : typeof type === 'string' || Array.isArray(type) ? JSON.stringify(type) : typeof type}`)
    }
    const name = header as string
    const lower = name.toLowerCase()
    const twin = found.find((param) => param.header.toLowerCase() === lower)
    if (twin !== undefined) fail(`"${name}" repeats "${twin.header}" (header names are case-insensitive)`)
    found.push({ header: name, path: trail.filter((_, index) => index % 2 === 1), type: type as HeaderParam['type'] })
  }

  visit(inputSchema, true)
  return found.length === 0 ? NONE : found
}

/** A JSON Pointer (RFC 6901) fragment naming a place in the schema. */
function pointer (keys: readonly string[]): string {
  return keys.length === 0 ? '' : '#/' + keys.map((key) => key.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')
}
