import type { McpContext } from './context.ts'
import { FST_MCP_PROTOCOL_INVALID_DEFINITION } from './errors.ts'
import type { Registration } from './registry.ts'
import type { ResourceDefinition, Resources } from './resources.ts'
import type { CacheHint } from './revisions.ts'
import { EXTENSIONS, type Annotations, type Icon, type Meta } from './schema/index.ts'

/**
 * MCP Apps (`io.modelcontextprotocol/ui`, SEP-1865): a tool points at a `ui://` resource of type
 * `text/html;profile=mcp-app`, which a host renders in a sandboxed frame beside the tool's
 * results. The server's part is declarative: the resource (its HTML and its `_meta.ui`: content
 * security policy, permissions, dedicated domain, border), the link from the tool (`_meta.ui`,
 * and the older flat `ui/resourceUri` key hosts still read), and the extension advertised. The
 * app talks to its host over `postMessage`, never to this server directly.
 */

/** The MIME type of an MCP App's HTML, exactly. */
export const APP_MIME_TYPE = 'text/html;profile=mcp-app'

/** Origins an app may reach, by the CSP directive they go to (none by default: a self-contained app). */
export interface AppCsp {
  /** `connect-src`: fetch, XHR, WebSocket. */
  connectDomains?: string[]
  /** `img-src`, `script-src`, `style-src`, `font-src`, `media-src`. */
  resourceDomains?: string[]
  /** `frame-src`: nested frames. */
  frameDomains?: string[]
  /** `base-uri`. */
  baseUriDomains?: string[]
}

/** Browser permissions the app asks its host for. */
export interface AppPermissions {
  camera?: Record<string, never>
  microphone?: Record<string, never>
  geolocation?: Record<string, never>
  clipboardWrite?: Record<string, never>
}

export interface AppResourceDefinition {
  /** `ui://<server>/<name>`. */
  uri: string
  name: string
  title?: string
  description?: string
  icons?: Icon[]
  annotations?: Annotations
  /** The app: a whole HTML document, or a function that builds it for a read. */
  html: string | ((ctx: McpContext) => string | Promise<string>)
  csp?: AppCsp
  permissions?: AppPermissions
  /** A dedicated sandbox origin, in the form the host expects (host-specific). */
  domain?: string
  /** Whether the host should draw a border around the app. */
  prefersBorder?: boolean
  /** 2026-07-28 caching hint of its reads (an app is usually the same for everyone: `public`). */
  cache?: CacheHint
  _meta?: Meta
}

/** How a tool links its UI. */
export interface ToolUi {
  /** The `ui://` URI of an app resource declared before the tool. */
  resourceUri: string
  /** Who may call the tool: `model` (the default, with `app`), or `app` only (hosts hide it from the model). */
  visibility?: Array<'model' | 'app'>
}

const VISIBILITY = new Set(['model', 'app'])

/** The MCP App resources of a server: declared through `server.appResource()`. */
export class Apps {
  readonly #resources: Resources
  readonly #uris = new Set<string>()

  constructor (resources: Resources) {
    this.#resources = resources
  }

  /** Whether any app is declared (the extension is then advertised). */
  get size (): number {
    return this.#uris.size
  }

  add (definition: AppResourceDefinition): Registration {
    const { uri, html, csp, permissions, domain, prefersBorder, cache, _meta, ...rest } = definition
    if (!uri.startsWith('ui://') || uri.length === 'ui://'.length) {
      throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`the URI of an MCP App must be ui://... (got "${uri}")`)
    }
    if (typeof html !== 'string' && typeof html !== 'function') {
      throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`the MCP App "${uri}" needs its html (a string, or a function that returns it)`)
    }
    const ui = dropEmpty({ csp, permissions, domain, prefersBorder })
    const meta: Meta | undefined = ui === undefined ? _meta : { ..._meta, ui }
    const resource: ResourceDefinition = {
      ...rest,
      uri,
      mimeType: APP_MIME_TYPE,
      ...(meta === undefined ? {} : { _meta: meta }),
      ...(cache === undefined ? {} : { cache }),
      // `_meta.ui` goes on the content too: hosts read it there first, the listing second.
      read: async (readUri, ctx) => ({
        contents: [{ uri: readUri, mimeType: APP_MIME_TYPE, text: typeof html === 'string' ? html : await html(ctx), ...(meta === undefined ? {} : { _meta: meta }) }]
      })
    }
    const registration = this.#resources.add(resource)
    this.#uris.add(uri)
    return {
      remove: () => {
        this.#uris.delete(uri)
        registration.remove()
      }
    }
  }

  /** The `_meta` a tool linked to an app lists with (`_meta.ui`, and the older flat key); checks the link. */
  toolMeta (tool: string, ui: ToolUi, meta: Meta | undefined): Meta {
    const { resourceUri, visibility } = ui
    if (!this.#uris.has(resourceUri)) {
      throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`tool "${tool}" links the UI "${resourceUri}", which is not declared: declare it with appResource() first`)
    }
    if (visibility !== undefined && (visibility.length === 0 || !visibility.every((who) => VISIBILITY.has(who)))) {
      throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`the UI visibility of tool "${tool}" must list "model", "app" or both`)
    }
    return { ...meta, ui: visibility === undefined ? { resourceUri } : { resourceUri, visibility }, 'ui/resourceUri': resourceUri }
  }
}

/**
 * Whether the client of a request renders MCP Apps: it declares the extension with the app MIME
 * type (2026-07-28 per request; 2025 revisions in `initialize`). A tool may tailor its text to
 * it; its listing must not change (2026-07-28 lists are the same for every client).
 */
export function clientSupportsApps (ctx: McpContext): boolean {
  const settings = ctx.session.clientCapabilities.extensions?.[EXTENSIONS.ui] as { mimeTypes?: unknown } | undefined
  return Array.isArray(settings?.mimeTypes) && settings.mimeTypes.includes(APP_MIME_TYPE)
}

function dropEmpty (object: Record<string, unknown>): Record<string, unknown> | undefined {
  const kept = Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined))
  return Object.keys(kept).length === 0 ? undefined : kept
}
