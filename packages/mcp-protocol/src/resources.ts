import type { McpContext } from './context.ts'
import type { Completer } from './completion.ts'
import { ErrorCode, McpError } from './errors.ts'
import type { CacheHint } from './revisions.ts'
import { dropUndefined, Registry, requireFunction, type McpItemConfig, type Registration, type Visible } from './registry.ts'
import type { Annotations, Icon, Meta, ReadResourceResult, Resource, ResourceTemplate } from './schema/index.ts'
import { UriTemplate } from './uri-template.ts'
import { versionFeatures } from './versions.ts'

interface ResourceMetadata {
  name: string
  title?: string
  description?: string
  mimeType?: string
  annotations?: Annotations
  icons?: Icon[]
  _meta?: Meta
  /** What plugins read (mcp-oauth: `scopes`); never sent to clients. */
  config?: McpItemConfig
  /** Caching hints of its `resources/read` results for 2026-07-28 clients (default: the server's `caching.read`). */
  cache?: CacheHint
}

export interface ResourceDefinition extends ResourceMetadata {
  uri: string
  /** Size of the raw content in bytes, when known. */
  size?: number
  read (uri: string, ctx: McpContext): ReadResourceResult | Promise<ReadResourceResult>
}

export interface ResourceTemplateDefinition extends ResourceMetadata {
  /** An RFC 6570 URI template, e.g. `notes://{folder}/{id}`. */
  uriTemplate: string
  /** The concrete resources of this template that `resources/list` should show. */
  list? (ctx: McpContext): readonly Resource[] | Promise<readonly Resource[]>
  /** Completers for the template's variables. */
  complete?: Record<string, Completer>
  read (uri: string, variables: Record<string, string>, ctx: McpContext): ReadResourceResult | Promise<ReadResourceResult>
}

/** Visibility of static resources and of templates (with what they list and serve). */
export interface ResourceVisibility {
  resource: Visible
  template: Visible
}

interface TemplateEntry {
  definition: ResourceTemplateDefinition
  template: UriTemplate
}

/** Static resources and resource templates: listing, reading, completion of template variables. */
export class Resources {
  readonly #static: Registry<ResourceDefinition, Resource>
  readonly #templates: Registry<TemplateEntry, ResourceTemplate>

  constructor (changed: () => void) {
    this.#static = new Registry('resource', describeResource, (resource) => resource.config, changed)
    this.#templates = new Registry('resource template', describeTemplate, (entry) => entry.definition.config, changed)
  }

  get size (): number {
    return this.#static.size + this.#templates.size
  }

  add (definition: ResourceDefinition): Registration {
    requireFunction(definition.read, `resource "${definition.uri}"`, 'read')
    return this.#static.add(definition.uri, definition)
  }

  addTemplate (definition: ResourceTemplateDefinition): Registration {
    requireFunction(definition.read, `resource template "${definition.uriTemplate}"`, 'read')
    return this.#templates.add(definition.uriTemplate, { definition, template: new UriTemplate(definition.uriTemplate) })
  }

  async list (ctx: McpContext, visible?: ResourceVisibility): Promise<readonly Resource[]> {
    const listed: Resource[][] = []
    for (const { definition } of this.#templates.values(visible?.template)) {
      if (definition.list !== undefined) listed.push([...await definition.list(ctx)])
    }
    const resources = this.#static.listing(visible?.resource)
    return listed.length === 0 ? resources : resources.concat(...listed)
  }

  listTemplates (visible?: ResourceVisibility): readonly ResourceTemplate[] {
    return this.#templates.listing(visible?.template)
  }

  /** The `config` of what serves `uri`: its static resource, else the first template it fits. */
  configOf (uri: string): McpItemConfig | undefined {
    return this.#find(uri)?.config
  }

  /** Whether a resource or template serves `uri` (what a listen stream may follow). */
  serves (uri: string): boolean {
    return this.#find(uri) !== undefined
  }

  /** The caching hint of what serves `uri`. */
  cacheOf (uri: string): CacheHint | undefined {
    return this.#find(uri)?.cache
  }

  #find (uri: string): ResourceMetadata | undefined {
    const resource = this.#static.get(uri)
    if (resource !== undefined) return resource
    for (const { definition, template } of this.#templates.values()) {
      if (template.match(uri) !== undefined) return definition
    }
    return undefined
  }

  /** `resources/read`: a static resource by its URI, else the first template the URI fits. */
  async read (uri: string, ctx: McpContext, visible?: ResourceVisibility): Promise<ReadResourceResult> {
    const resource = this.#static.get(uri, visible?.resource)
    if (resource !== undefined) return resource.read(uri, ctx)
    for (const { definition, template } of this.#templates.values(visible?.template)) {
      const variables = template.match(uri)
      if (variables !== undefined) return definition.read(uri, variables, ctx)
    }
    // -32002 for 2025 clients, -32602 for 2026-07-28 ones (never an empty `contents`).
    throw new McpError(versionFeatures(ctx.session.protocolVersion).resourceNotFoundCode, 'Resource not found', { uri })
  }

  /** The completer of a template variable; a reference to no template is invalid params. */
  completer (uriTemplate: string, variable: string, visible?: ResourceVisibility): Completer | undefined {
    const entry = this.#templates.get(uriTemplate, visible?.template)
    if (entry === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown resource template: ${uriTemplate}`)
    return entry.definition.complete?.[variable]
  }
}

function describeResource ({ uri, name, title, description, mimeType, size, annotations, icons, _meta }: ResourceDefinition): Resource {
  return dropUndefined({ uri, name, title, description, mimeType, size, annotations, icons, _meta }) as Resource
}

function describeTemplate ({ definition }: TemplateEntry): ResourceTemplate {
  const { uriTemplate, name, title, description, mimeType, annotations, icons, _meta } = definition
  return dropUndefined({ uriTemplate, name, title, description, mimeType, annotations, icons, _meta }) as ResourceTemplate
}
