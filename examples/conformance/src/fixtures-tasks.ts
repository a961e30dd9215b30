import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCode, McpError, type ElicitRequestParams, type ElicitResult, type McpServer } from '@mcp-fastify/mcp-protocol'
import { Type } from '@sinclair/typebox'

/**
 * The fixtures of the conformance suite's ten tasks scenarios (the tasks extension,
 * `io.modelcontextprotocol/tasks`, 0.2.0-alpha.12), by the names and behaviour the suite expects.
 * Each is a plain handler: `taskSupport` decides whether a call runs as a task, and the same code
 * answers directly otherwise; its `ctx.elicit()` becomes the task's `inputRequests`, its
 * `ctx.signal` is aborted by `tasks/cancel`.
 */
export function declareTaskFixtures (mcp: McpServer): void {
  mcp.tool({
    name: 'greet',
    description: 'Greets by name, at once: never a task',
    inputSchema: Type.Object({ name: Type.String({ description: 'Who to greet' }) }),
    handler: ({ name }) => text(`Hello, ${name}!`)
  })
  mcp.tool({
    name: 'slow_compute',
    description: 'Works for `seconds` seconds, then says it is done: a task for clients that declare the extension, a direct answer otherwise',
    inputSchema: Type.Object({
      seconds: Type.Number({ minimum: 0, description: 'How long to work' }),
      label: Type.Optional(Type.String({ description: 'Named in the result' }))
    }),
    taskSupport: 'optional',
    handler: async ({ seconds, label }, ctx) => {
      if (seconds > 0) await sleep(seconds * 1000, undefined, { signal: ctx.signal })
      return text(`Computed ${label ?? 'result'} in ${seconds}s`)
    }
  })
  mcp.tool({
    name: 'failing_job',
    description: 'Always a task (clients without the extension get -32021); after a second, completes with a tool error',
    taskSupport: 'required',
    handler: async (_args, ctx) => {
      await sleep(1000, undefined, { signal: ctx.signal })
      return { content: [{ type: 'text', text: 'Failed to process request: invalid input' }], isError: true }
    }
  })
  mcp.tool({
    name: 'protocol_error_job',
    description: 'Always a task; fails with a JSON-RPC error, so the task ends failed',
    taskSupport: 'required',
    handler: async (_args, ctx) => {
      await sleep(100, undefined, { signal: ctx.signal })
      throw new McpError(ErrorCode.InternalError, 'API rate limit exceeded')
    }
  })
  mcp.tool({
    name: 'confirm_delete',
    description: 'Always a task; asks the user to confirm before it deletes the file',
    inputSchema: Type.Object({ filename: Type.String({ description: 'The file to delete' }) }),
    taskSupport: 'required',
    handler: async ({ filename }, ctx) => {
      const answer = await ctx.elicit(form(`Delete ${filename}?`, 'confirm', 'boolean'), { key: 'confirm' })
      const confirmed = answer.action === 'accept' && answer.content?.confirm === true
      return text(confirmed ? `Deleted ${filename}` : `Kept ${filename}`)
    }
  })
  mcp.tool({
    name: 'multi_input',
    description: 'Always a task; asks two questions at once, each answered on its own',
    taskSupport: 'required',
    handler: async (_args, ctx) => {
      const [first, second] = await Promise.all([
        ctx.elicit(form('First input?', 'name'), { key: 'input-a' }),
        ctx.elicit(form('Second input?', 'name'), { key: 'input-b' })
      ])
      return text(`Inputs: ${answered(first, 'name')}, ${answered(second, 'name')}`)
    }
  })
  mcp.tool({
    name: 'test_tool_with_task',
    description: 'Asks for a name first (an input_required round), then runs as a task that greets it',
    taskSupport: 'required',
    task: { start: 'handler' },
    handler: async (_args, ctx) => {
      const answer = await ctx.elicit(form('What is your name?', 'name'), { key: 'user_name' })
      // The question was answered before the task: from here on, the client polls.
      await ctx.startTask()
      await sleep(200, undefined, { signal: ctx.signal })
      return text(`Hello, ${answered(answer, 'name')}! Your task is done.`)
    }
  })
}

function text (value: string) {
  return { content: [{ type: 'text' as const, text: value }] }
}

function form (message: string, field: string, type: 'string' | 'boolean' = 'string'): ElicitRequestParams {
  const property = type === 'string' ? { type: 'string' as const } : { type: 'boolean' as const }
  return { message, requestedSchema: { type: 'object', properties: { [field]: property }, required: [field] } }
}

function answered (result: ElicitResult, field: string): string {
  return result.action === 'accept' ? String(result.content?.[field] ?? '') : `(${result.action})`
}
