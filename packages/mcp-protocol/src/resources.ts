import type { McpContext } from './context.ts'
import type { Completer } from './completion.ts'
import { ErrorCode, McpError } from './errors.ts'
import { dropUndefined, Registry, type Registration } from './registry.ts'
import type { Annotations, Icon, Meta, ReadResourceResult, Resource, ResourceTemplate } from './schema/index.ts'
import { UriTemplate } from './uri-template.ts'

interface ResourceMetadata {
  name: string
  title?: string
  description?: string
  mimeType?: string
  annotations?: Annotations
  icons?: Icon[]
  _meta?: Meta
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

interface TemplateEntry {
  definition: ResourceTemplateDefinition
  template: UriTemplate
}

/** Static resources and resource templates: listing, reading, completion of template variables. */
export class Resources {
  readonly #static: Registry<ResourceDefinition, Resource>
  readonly #templates: Registry<TemplateEntry, ResourceTemplate>

  constructor (changed: () => void) {
    this.#static = new Registry('resource', describeResource, changed)
    this.#templates = new Registry('resource template', describeTemplate, changed)
  }

  get size (): number {
    return this.#static.size + this.#templates.size
  }

  add (definition: ResourceDefinition): Registration {
    return this.#static.add(definition.uri, definition)
  }

  addTemplate (definition: ResourceTemplateDefinition): Registration {
    return this.#templates.add(definition.uriTemplate, { definition, template: new UriTemplate(definition.uriTemplate) })
  }

  async list (ctx: McpContext): Promise<readonly Resource[]> {
    const listed: Resource[][] = []
    for (const { definition } of this.#templates.values()) {
      if (definition.list !== undefined) listed.push([...await definition.list(ctx)])
    }
    const resources = this.#static.listing()
    return listed.length === 0 ? resources : resources.concat(...listed)
  }

  listTemplates (): readonly ResourceTemplate[] {
    return this.#templates.listing()
  }

  /** `resources/read`: a static resource by its URI, else the first template the URI fits. */
  async read (uri: string, ctx: McpContext): Promise<ReadResourceResult> {
    const resource = this.#static.get(uri)
    if (resource !== undefined) return resource.read(uri, ctx)
    for (const { definition, template } of this.#templates.values()) {
      const variables = template.match(uri)
      if (variables !== undefined) return definition.read(uri, variables, ctx)
    }
    throw new McpError(ErrorCode.ResourceNotFound, 'Resource not found', { uri })
  }

  /** The completer of a template variable; a reference to no template is invalid params. */
  completer (uriTemplate: string, variable: string): Completer | undefined {
    const entry = this.#templates.get(uriTemplate)
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
