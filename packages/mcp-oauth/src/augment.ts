import type { McpAuthInfo } from './claims.ts'
// The transport's augmentations (`request.mcpPrincipal`, `app.mcp`, `config.mcpEndpoint`) are read here.
import type {} from '@mcp-fastify/mcp-transport'

declare module 'fastify' {
  interface FastifyRequest {
    /** What mcp-oauth verified about the request's access token; `null` outside protected endpoints. */
    mcpAuth: McpAuthInfo | null
  }
}

declare module '@mcp-fastify/mcp-protocol' {
  interface McpItemConfig {
    /**
     * The scopes a client's token must grant to see and use this tool, resource (template) or
     * prompt (mcp-oauth). Without it, the plugin's `defaultScopes` for its kind apply.
     */
    scopes?: string[]
  }
}
