import type { CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult, McpServer } from '@mcp-fastify/mcp-protocol'
import { Type } from '@sinclair/typebox'

/**
 * The fixtures the conformance suite calls at 2026-07-28 (0.2.0-alpha.12): the diagnostic tools
 * of `server-stateless`, the tools and the prompt of the fourteen `input-required-result-*`
 * scenarios (Multi Round-Trip Requests, with the input keys the suite reads by name), and a tool
 * with an `x-mcp-header` parameter for the header-validation scenarios. They are plain handlers:
 * `ctx.elicit()`, `ctx.sample()` and `ctx.listRoots()` send the client a request on 2025 traffic
 * and answer `input_required` on 2026-07-28 traffic, so each serves both eras unchanged.
 */
export function declare2026Fixtures (mcp: McpServer): void {
  diagnostics(mcp)
  inputRequired(mcp)
  mcp.tool({
    name: 'test_custom_header',
    description: 'Echoes a region that clients also send in the Mcp-Param-Region header',
    inputSchema: Type.Object({ region: Type.String({ description: 'Any region name', 'x-mcp-header': 'Region' }) }),
    handler: ({ region }) => ({ content: [{ type: 'text', text: `Region: ${region}` }] })
  })
}

/** A form elicitation of one required field. */
function form (message: string, field: string, type: 'string' | 'boolean' = 'string'): ElicitRequestParams {
  const property = type === 'string' ? { type: 'string' as const } : { type: 'boolean' as const }
  return { message, requestedSchema: { type: 'object', properties: { [field]: property }, required: [field] } }
}

function question (text: string, maxTokens: number): CreateMessageRequestParams {
  return { messages: [{ role: 'user', content: { type: 'text', text } }], maxTokens }
}

/** What the user entered in `field`, or why there is nothing. */
function answered (result: ElicitResult, field: string): string {
  return result.action === 'accept' ? String(result.content?.[field] ?? '') : `(${result.action})`
}

function sampledText (result: CreateMessageResult): string {
  const blocks = Array.isArray(result.content) ? result.content : [result.content]
  return blocks.map((block) => (block.type === 'text' ? block.text : `[${block.type}]`)).join(' ')
}

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] })

/** What `server-stateless` calls to check a server's behaviour rather than its features. */
function diagnostics (mcp: McpServer): void {
  mcp.tool({
    name: 'test_missing_capability',
    description: 'Asks the client\'s model a question, so it needs the client\'s sampling capability (-32021 without it)',
    handler: async (_args, ctx) => text(`Sampled: ${sampledText(await ctx.sample(question('Say hello', 20), { key: 'sample_request' }))}`)
  })
  mcp.tool({
    name: 'test_streaming_elicitation',
    description: 'Reports progress, then asks the user a question: on 2026-07-28 the question comes back as a result, never as a request on the stream',
    handler: async (_args, ctx) => {
      await ctx.progress(50, 100, 'About to ask')
      const result = await ctx.elicit(form('What is your name?', 'name'), { key: 'user_name' })
      return text(`Hello, ${answered(result, 'name')}!`)
    }
  })
  mcp.tool({
    name: 'test_logging_tool',
    description: 'Logs at info level; on 2026-07-28 the logs are sent only when the request asks for them with a logLevel',
    handler: async (_args, ctx) => {
      await ctx.log('info', 'Diagnostic logging tool started')
      await ctx.log('debug', 'Diagnostic logging tool working')
      await ctx.log('info', 'Diagnostic logging tool done')
      return text('Logging evaluated')
    }
  })
  let changes = 0
  mcp.tool({
    name: 'test_trigger_tool_change',
    description: 'Adds a tool and takes it back: clients listening for tool list changes hear of it',
    handler: () => {
      const name = `test_transient_tool_${++changes}`
      mcp.tool({ name, description: 'Exists for an instant', handler: () => text('transient') }).remove()
      return text('Tool list changed')
    }
  })
  mcp.tool({
    name: 'test_trigger_prompt_change',
    description: 'Adds a prompt and takes it back: clients listening for prompt list changes hear of it',
    handler: () => {
      const name = `test_transient_prompt_${++changes}`
      mcp.prompt({ name, description: 'Exists for an instant', get: () => ({ messages: [] }) }).remove()
      return text('Prompt list changed')
    }
  })
}

/** Multi Round-Trip Requests (SEP-2322): the input keys are the ones the suite reads. */
function inputRequired (mcp: McpServer): void {
  mcp.tool({
    name: 'test_input_required_result_elicitation',
    description: 'Asks the user for their name, then greets them',
    handler: async (_args, ctx) => {
      const result = await ctx.elicit(form('What is your name?', 'name'), { key: 'user_name' })
      return text(`Hello, ${answered(result, 'name')}!`)
    }
  })
  mcp.tool({
    name: 'test_input_required_result_sampling',
    description: 'Asks the client\'s model a question and returns its answer',
    handler: async (_args, ctx) => {
      const result = await ctx.sample(question('What is the capital of France?', 100), { key: 'sample_request' })
      return text(`Sampling result: ${sampledText(result)}`)
    }
  })
  mcp.tool({
    name: 'test_input_required_result_list_roots',
    description: 'Asks the client for its roots and lists them',
    handler: async (_args, ctx) => {
      const { roots } = await ctx.listRoots({ key: 'roots_request' })
      return text(`Found ${roots.length} root(s): ${roots.map((root) => root.uri).join(', ')}`)
    }
  })
  mcp.tool({
    name: 'test_input_required_result_request_state',
    description: 'Asks for a confirmation; the retry must bring back the requestState it was given',
    handler: async (_args, ctx) => {
      const result = await ctx.elicit(form('Please confirm', 'ok', 'boolean'), { key: 'confirm' })
      return text(result.action === 'accept' && result.content?.ok === true ? 'state-ok: requestState validated' : 'Not confirmed')
    }
  })
  mcp.tool({
    name: 'test_input_required_result_multiple_inputs',
    description: 'Asks for a name, a greeting from the model and the client\'s roots, all in one round',
    handler: async (_args, ctx) => {
      // Asked together (not one after the other), so the client gets the three questions at once.
      const [name, greeting, { roots }] = await Promise.all([
        ctx.elicit(form('What is your name?', 'name'), { key: 'user_name' }),
        ctx.sample(question('Generate a greeting', 50), { key: 'greeting' }),
        ctx.listRoots({ key: 'client_roots' })
      ])
      return text(`Name: ${answered(name, 'name')}; Greeting: ${sampledText(greeting)}; Roots: ${roots.length}`)
    }
  })
  mcp.tool({
    name: 'test_input_required_result_multi_round',
    description: 'Asks for a name, then (a second round) for a favourite colour',
    handler: async (_args, ctx) => {
      const name = answered(await ctx.elicit(form('Step 1: What is your name?', 'name'), { key: 'step1' }), 'name')
      const color = answered(await ctx.elicit(form('Step 2: What is your favorite color?', 'color'), { key: 'step2' }), 'color')
      return text(`Multi-round complete for ${name} who likes ${color}`)
    }
  })
  mcp.tool({
    name: 'test_input_required_result_tampered_state',
    description: 'Asks for a confirmation; a retry whose requestState was altered is refused (-32602)',
    handler: async (_args, ctx) => {
      const result = await ctx.elicit(form('Please confirm', 'ok', 'boolean'), { key: 'confirm' })
      return text(`integrity-ok: ${result.action}`)
    }
  })
  mcp.tool({
    name: 'test_input_required_result_capabilities',
    description: 'Asks the client only through the capabilities the request declares',
    handler: async (_args, ctx) => {
      const { elicitation, sampling, roots } = ctx.session.clientCapabilities
      const asked: Array<Promise<string>> = []
      if (elicitation !== undefined) {
        asked.push(ctx.elicit(form('Elicitation input', 'value'), { key: 'elicit_input' }).then((r) => `elicitation: ${answered(r, 'value')}`))
      }
      if (sampling !== undefined) {
        asked.push(ctx.sample(question('Sample request', 50), { key: 'sample_input' }).then((r) => `sampling: ${sampledText(r)}`))
      }
      if (roots !== undefined) {
        asked.push(ctx.listRoots({ key: 'roots_input' }).then((r) => `roots: ${r.roots.length}`))
      }
      if (asked.length === 0) return text('No supported capabilities declared')
      return text(`capabilities-ok: ${(await Promise.all(asked)).join('; ')}`)
    }
  })
  mcp.prompt({
    name: 'test_input_required_result_prompt',
    description: 'A prompt that asks the user for context before it is built',
    get: async (_args, ctx) => {
      const result = await ctx.elicit(form('What context should the prompt use?', 'context'), { key: 'user_context' })
      return { messages: [{ role: 'user', content: { type: 'text', text: `Prompt with context: ${answered(result, 'context')}` } }] }
    }
  })
}
