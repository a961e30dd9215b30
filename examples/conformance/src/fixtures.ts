import type { McpServer } from '@mcp-fastify/mcp-protocol'
import { Type } from '@sinclair/typebox'
import { declare2026Fixtures } from './fixtures-2026.ts'
import { declareTaskFixtures } from './fixtures-tasks.ts'

// A 1×1 PNG and a short silent WAV, base64.
export const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
export const WAV = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA='

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Exactly the tools, resources and prompts the official conformance suite calls by name, for
 * 2025 (0.1.16 and the alpha at 2025-11-25) and 2026-07-28 (the alpha). Order matters to the
 * alpha: `test_simple_text` is the first tool (header validation calls `tools[0]` with `{}`) and
 * `test://static-text` the first resource (`caching` reads `resources[0]`).
 */
export function declareFixtures (mcp: McpServer): void {
  mcp.tool({
    name: 'test_simple_text',
    description: 'Returns a simple text response',
    handler: () => ({ content: [{ type: 'text', text: 'This is a simple text response for testing.' }] })
  })
  mcp.tool({
    name: 'test_image_content',
    description: 'Returns an image',
    handler: () => ({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] })
  })
  mcp.tool({
    name: 'test_audio_content',
    description: 'Returns audio',
    handler: () => ({ content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] })
  })
  mcp.tool({
    name: 'test_embedded_resource',
    description: 'Returns an embedded resource',
    handler: () => ({
      content: [{
        type: 'resource',
        resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' }
      }]
    })
  })
  mcp.tool({
    name: 'test_multiple_content_types',
    description: 'Returns text, an image and a resource',
    handler: () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' }
        }
      ]
    })
  })
  mcp.tool({
    name: 'test_tool_with_logging',
    description: 'Sends log messages while it runs',
    handler: async (_args, ctx) => {
      await ctx.log('info', 'Tool execution started')
      await sleep(50)
      await ctx.log('info', 'Tool processing data')
      await sleep(50)
      await ctx.log('info', 'Tool execution completed')
      return { content: [{ type: 'text', text: 'Tool with logging executed successfully' }] }
    }
  })
  mcp.tool({
    name: 'test_tool_with_progress',
    description: 'Reports progress while it runs',
    handler: async (_args, ctx) => {
      for (const progress of [0, 50, 100]) {
        await ctx.progress(progress, 100, `Completed step ${progress} of 100`)
        if (progress < 100) await sleep(50)
      }
      return { content: [{ type: 'text', text: 'Tool with progress executed successfully' }] }
    }
  })
  mcp.tool({
    name: 'test_error_handling',
    description: 'Always fails, as a tool error',
    handler: () => ({ content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }], isError: true })
  })
  mcp.tool({
    name: 'test_sampling',
    description: 'Asks the client to sample its model',
    inputSchema: Type.Object({ prompt: Type.String({ description: 'The prompt for the model' }) }),
    handler: async ({ prompt }, ctx) => {
      const result = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 })
      const text = 'type' in result.content && result.content.type === 'text' ? result.content.text : JSON.stringify(result.content)
      return { content: [{ type: 'text', text: `LLM response: ${text}` }] }
    }
  })
  mcp.tool({
    name: 'test_elicitation',
    description: 'Asks the user for information',
    inputSchema: Type.Object({ message: Type.String({ description: 'What to ask' }) }),
    handler: async ({ message }, ctx) => {
      const result = await ctx.elicit({
        message,
        requestedSchema: {
          type: 'object',
          properties: { username: { type: 'string', description: 'User name' }, email: { type: 'string', description: 'Email address' } },
          required: ['username', 'email']
        }
      })
      return { content: [{ type: 'text', text: `User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}` }] }
    }
  })
  mcp.tool({
    name: 'test_elicitation_sep1034_defaults',
    description: 'Asks for input with default values',
    handler: async (_args, ctx) => {
      const result = await ctx.elicit({
        message: 'Please review and update the form fields with defaults',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'User name', default: 'John Doe' },
            age: { type: 'integer', description: 'User age', default: 30 },
            score: { type: 'number', description: 'User score', default: 95.5 },
            status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
            verified: { type: 'boolean', description: 'Verification status', default: true }
          }
        }
      })
      return { content: [{ type: 'text', text: `Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}` }] }
    }
  })
  mcp.tool({
    name: 'test_elicitation_sep1330_enums',
    description: 'Asks for input with every enum form',
    handler: async (_args, ctx) => {
      const result = await ctx.elicit({
        message: 'Please select options from the enum fields',
        requestedSchema: {
          type: 'object',
          properties: {
            untitledSingle: { type: 'string', description: 'Choose one', enum: ['option1', 'option2', 'option3'] },
            titledSingle: {
              type: 'string',
              description: 'Choose one (titled)',
              oneOf: [{ const: 'value1', title: 'First Option' }, { const: 'value2', title: 'Second Option' }, { const: 'value3', title: 'Third Option' }]
            },
            legacyEnum: {
              type: 'string',
              description: 'Choose one (legacy)',
              enum: ['opt1', 'opt2', 'opt3'],
              enumNames: ['Option One', 'Option Two', 'Option Three']
            },
            untitledMulti: {
              type: 'array',
              description: 'Choose several',
              items: { type: 'string', enum: ['option1', 'option2', 'option3'] }
            },
            titledMulti: {
              type: 'array',
              description: 'Choose several (titled)',
              items: { anyOf: [{ const: 'value1', title: 'First Choice' }, { const: 'value2', title: 'Second Choice' }, { const: 'value3', title: 'Third Choice' }] }
            }
          }
        }
      })
      return { content: [{ type: 'text', text: `Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}` }] }
    }
  })
  mcp.tool({
    name: 'json_schema_2020_12_tool',
    description: 'A tool whose input schema uses JSON Schema 2020-12 features',
    // The suite's canonical schema: composition, conditionals and an anchor must reach clients as written.
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: {
        address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } }
      },
      properties: {
        name: { type: 'string' },
        address: { $ref: '#/$defs/address' },
        contactMethod: { type: 'string', enum: ['phone', 'email'] },
        phone: { type: 'string' },
        email: { type: 'string' }
      },
      allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
      if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
      then: { required: ['phone'] },
      else: { required: ['email'] },
      additionalProperties: false
    },
    handler: (args) => ({ content: [{ type: 'text', text: `Received: ${JSON.stringify(args)}` }] })
  })
  mcp.tool({
    name: 'test_reconnection',
    description: 'Closes its SSE connection mid-call; the result arrives on the resumed stream',
    handler: async (_args, ctx) => {
      await sleep(100)
      ctx.closeStream()
      await sleep(200)
      return { content: [{ type: 'text', text: 'Reconnection test completed successfully' }] }
    }
  })
  mcp.tool({
    name: 'echo',
    description: 'Answers with the text it is given',
    inputSchema: Type.Object({ text: Type.String({ description: 'The text to echo' }) }),
    handler: ({ text }) => ({ content: [{ type: 'text', text }] })
  })

  mcp.resource({
    uri: 'test://static-text',
    name: 'Static text resource',
    description: 'A static text resource for testing',
    mimeType: 'text/plain',
    read: (uri) => ({ contents: [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] })
  })
  mcp.resource({
    uri: 'test://static-binary',
    name: 'Static binary resource',
    description: 'A static binary resource (a PNG image)',
    mimeType: 'image/png',
    read: (uri) => ({ contents: [{ uri, mimeType: 'image/png', blob: PNG }] })
  })
  mcp.resource({
    uri: 'test://watched-resource',
    name: 'Watched resource',
    description: 'A resource clients can subscribe to',
    mimeType: 'text/plain',
    read: (uri) => ({ contents: [{ uri, mimeType: 'text/plain', text: 'Watched resource content' }] })
  })
  mcp.resourceTemplate({
    uriTemplate: 'test://template/{id}/data',
    name: 'Template resource',
    description: 'A resource template with an id variable',
    mimeType: 'application/json',
    read: (uri, { id = '' }) => ({
      contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }]
    })
  })

  mcp.prompt({
    name: 'test_simple_prompt',
    description: 'A simple prompt without arguments',
    get: () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] })
  })
  mcp.prompt({
    name: 'test_prompt_with_arguments',
    description: 'A prompt with two required arguments',
    arguments: Type.Object({
      arg1: Type.String({ description: 'First test argument' }),
      arg2: Type.String({ description: 'Second test argument' })
    }),
    complete: { arg1: (value) => ['paris', 'park', 'party'].filter((word) => word.startsWith(value)) },
    get: ({ arg1, arg2 }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }]
    })
  })
  mcp.prompt({
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds a resource',
    arguments: Type.Object({ resourceUri: Type.String({ description: 'URI of the resource to embed' }) }),
    get: ({ resourceUri }) => ({
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } }
      ]
    })
  })
  mcp.prompt({
    name: 'test_prompt_with_image',
    description: 'A prompt that carries an image',
    get: () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } }
      ]
    })
  })
  declare2026Fixtures(mcp)
  declareTaskFixtures(mcp)
}
