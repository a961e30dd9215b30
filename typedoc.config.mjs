// The API reference of the five packages, from their TSDoc comments: `pnpm run docs` writes it to
// docs/api (git-ignored). It fails on any warning, so CI catches a broken {@link}, a relative link
// to nothing, or a public signature that names a type the package does not export.

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'mcp-fastify',
  // One module per package, named after it, with its README and its own tsconfig (built first:
  // a package's imports of the others resolve to their dist/*.d.ts, mapped back to src).
  entryPointStrategy: 'packages',
  entryPoints: [
    'packages/mcp-protocol',
    'packages/mcp-session',
    'packages/mcp-transport',
    'packages/mcp-oauth',
    'packages/mcp-metrics'
  ],
  // What applies within each package (a package's own typedoc.json adds to it).
  packageOptions: {
    entryPoints: ['src/index.ts'],
    excludePrivate: true,
    // Tagged @internal: what the plugins build themselves and apps do not (constructors, mostly).
    excludeInternal: true
  },
  readme: 'README.md',
  out: 'docs/api',
  // Source links without asking git (none is needed to build the reference).
  disableGit: true,
  gitRevision: 'main',
  sourceLinkTemplate: 'https://github.com/mcp-fastify/mcp-fastify/blob/{gitRevision}/{path}#L{line}',
  plugin: ['./scripts/typedoc-same-declaration.mjs'],
  treatWarningsAsErrors: true,
  treatValidationWarningsAsErrors: true,
  validation: {
    invalidLink: true,
    notExported: true,
    rewrittenLink: true,
    unusedMergeModuleWith: true,
    notDocumented: false
  }
}
