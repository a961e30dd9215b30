import { FormatRegistry } from '@sinclair/typebox'
import type { Format } from 'ajv'
import { fullFormats } from 'ajv-formats/dist/formats.js'

/** A format's check of strings; formats of numbers (`int32`, `double`) and async ones are left out. */
function stringCheck (format: Format): ((value: string) => boolean) | undefined {
  if (typeof format === 'object' && !(format instanceof RegExp)) {
    if ((format.type !== undefined && format.type !== 'string') || format.async === true) return undefined
    return stringCheck(format.validate as Format)
  }
  if (format instanceof RegExp) return (value) => format.test(value)
  if (typeof format === 'string') {
    const pattern = new RegExp(format, 'u')
    return (value) => pattern.test(value)
  }
  if (typeof format === 'function') return (value) => format(value) as boolean
  return undefined
}

/**
 * TypeBox fails every value of a `format` it does not know, so a tool declared with
 * `Type.String({ format: 'email' })` would refuse all calls. The JSON Schema formats of
 * ajv-formats (the checks Ajv's authors maintain, the same the Ajv path uses for plain JSON
 * Schemas) are registered here, unless the app registered its own.
 */
export function registerStandardFormats (): void {
  for (const [name, format] of Object.entries(fullFormats)) {
    const check = stringCheck(format)
    if (check !== undefined && !FormatRegistry.Has(name)) FormatRegistry.Set(name, check)
  }
}
