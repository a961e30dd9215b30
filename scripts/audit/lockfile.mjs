// The lockfile check: every package pnpm-lock.yaml installs comes from the registry with an
// integrity hash (so `pnpm install --frozen-lockfile` verifies what it downloads), and the only
// other sources are links to the workspace's own packages. The registry itself is not written in
// the lockfile (pnpm omits registry URLs), so the registries configured must be https.
//
// pnpm writes the lockfile in a fixed layout (two spaces per level, one entry per line, a
// `resolution` on one line), which is read here line by line; anything that does not have the
// exact shape of a registry package is reported, so an unexpected form fails the check rather than
// slipping through it.

import { posix } from 'node:path'

const REGISTRY_RESOLUTION = /^\{integrity: sha512-[A-Za-z0-9+/]+={0,2}\}$/
// A version from the registry, as importers and snapshots write it: `1.2.3`, `1.2.3(peer@4.5.6)`,
// or an npm alias `other-name@1.2.3`.
const REGISTRY_VERSION = /^(?:(?:@[^\s@/]+\/)?[^\s@/:]+@)?\d+\.\d+\.\d+[^\s:]*$/

const DEPENDENCY_TYPES = new Set(['dependencies', 'devDependencies', 'optionalDependencies'])

const unquote = (text) => text.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1')

/** What a `resolution:` value says about where a package comes from, for the report. */
function describeResolution (resolution) {
  if (/type: git\b/.test(resolution)) return `a git repository (${resolution})`
  if (/type: directory\b/.test(resolution)) return `a local directory (${resolution})`
  const tarball = /tarball: ([^,}\s]+)/.exec(resolution)?.[1]
  if (tarball?.startsWith('file:')) return `a local tarball (${tarball})`
  if (tarball?.startsWith('http:')) return `a tarball over plain http (${tarball})`
  if (tarball !== undefined) return `a tarball URL, not the registry (${tarball})`
  if (!/integrity:/.test(resolution)) return `no integrity hash (${resolution})`
  if (!/integrity: sha512-/.test(resolution)) return `a weak integrity hash, not sha512 (${resolution})`
  return `an unexpected resolution (${resolution})`
}

function describeVersion (version) {
  if (version.startsWith('link:')) return `a link (${version})`
  if (version.startsWith('file:')) return `a local path (${version})`
  if (version.startsWith('http:')) return `plain http (${version})`
  if (/^(git[+:]|github:|gitlab:|bitbucket:|(github\.com|gitlab\.com|bitbucket\.org)\/)|codeload\.github\.com|\.git(#|$)/.test(version)) return `a git source (${version})`
  if (/^https:/.test(version)) return `a tarball URL (${version})`
  return `not a registry version (${version})`
}

/**
 * Checks the text of a pnpm-lock.yaml (format 9): how many packages and workspace links it lists,
 * and one line per offender: a package that does not come from the registry with a sha512
 * integrity hash, a dependency on a URL, a path or git, a link out of the workspace, an installed
 * package with no resolution.
 */
export function checkLockfile (text) {
  const offenders = []
  let links = 0
  const lines = text.split(/\r?\n/)
  const version = /^lockfileVersion: '?([^'\s]+)'?/m.exec(text)?.[1]
  if (version === undefined || !version.startsWith('9.')) {
    return { packages: 0, links: 0, offenders: [`lockfile format ${version ?? '(none)'} is not one this check reads (9.x): update scripts/audit/lockfile.mjs`] }
  }

  const importers = new Map() // importer path -> [{ type, name, version }]
  const resolutions = new Map() // package key -> resolution text, or undefined when absent
  const snapshots = new Map() // snapshot key -> [{ name, version }]
  let section
  let importer, dependencyType, dependencyName
  let entry
  for (const line of lines) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    const indent = line.length - line.trimStart().length
    const content = line.trim()
    if (indent === 0) {
      section = /^([^:]+):/.exec(content)?.[1]
      continue
    }
    const key = (match) => unquote(match.replace(/:$/, ''))
    if (section === 'importers') {
      if (indent === 2) {
        importer = key(content)
        importers.set(importer, [])
      } else if (indent === 4) {
        dependencyType = key(content)
      } else if (indent === 6) {
        dependencyName = key(content)
      } else if (indent === 8 && content.startsWith('version:') && DEPENDENCY_TYPES.has(dependencyType)) {
        importers.get(importer).push({ type: dependencyType, name: dependencyName, version: unquote(content.slice(8).trim()) })
      }
    } else if (section === 'packages') {
      if (indent === 2) {
        entry = key(content)
        resolutions.set(entry, undefined)
      } else if (indent === 4 && content.startsWith('resolution:')) {
        resolutions.set(entry, content.slice('resolution:'.length).trim())
      }
    } else if (section === 'snapshots') {
      if (indent === 2) {
        entry = key(content.replace(/: \{\}$/, ''))
        snapshots.set(entry, [])
      } else if (indent === 4) {
        dependencyType = key(content)
      } else if (indent === 6 && DEPENDENCY_TYPES.has(dependencyType)) {
        const separator = content.indexOf(': ')
        snapshots.get(entry).push({ name: unquote(content.slice(0, separator)), version: unquote(content.slice(separator + 2)) })
      }
    }
  }

  for (const [path, dependencies] of importers) {
    for (const { type, name, version } of dependencies) {
      if (REGISTRY_VERSION.test(version)) continue
      if (version.startsWith('link:')) {
        const target = posix.normalize(posix.join(path, version.slice('link:'.length)))
        if (importers.has(target)) {
          links++
          continue
        }
        offenders.push(`${path} ${type} ${name}: a link to ${target}, which is not a package of this workspace`)
        continue
      }
      offenders.push(`${path} ${type} ${name}: ${describeVersion(version)}`)
    }
  }
  for (const [name, resolution] of resolutions) {
    const at = name.lastIndexOf('@')
    const version = name.slice(at + 1)
    if (at <= 0 || !/^\d+\.\d+\.\d+/.test(version)) offenders.push(`${name}: its key names ${describeVersion(name.slice(at + 1))}, not a registry version`)
    if (resolution === undefined) offenders.push(`${name}: no resolution`)
    else if (!REGISTRY_RESOLUTION.test(resolution)) offenders.push(`${name}: ${describeResolution(resolution)}`)
  }
  for (const [key, dependencies] of snapshots) {
    const base = key.replace(/\(.*$/, '')
    if (!resolutions.has(base)) offenders.push(`${key}: installed (snapshots) with no entry under packages, so no resolution`)
    for (const { name, version } of dependencies) {
      if (!REGISTRY_VERSION.test(version)) offenders.push(`${key} depends on ${name}: ${describeVersion(version)}`)
    }
  }
  if (resolutions.size === 0 && importers.size === 0) offenders.push('the lockfile lists no importers and no packages: is this a pnpm lockfile?')
  return { packages: resolutions.size, links, offenders }
}

/**
 * The registries pnpm is configured with: the default and every scoped one, from the environment
 * `pnpm run` passes to scripts (`npm_config_registry`, `npm_config_@scope:registry` spelled
 * `npm_config__scope_registry`) and from the repository's `.npmrc`.
 */
export function configuredRegistries (env, npmrc = '') {
  const found = []
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue
    if (/^npm_config_registry$/i.test(name)) found.push({ where: name, scope: 'default', url: value })
    else if (/^npm_config_.+[_:]registry$/i.test(name)) found.push({ where: name, scope: name.slice('npm_config_'.length, -'_registry'.length), url: value })
  }
  for (const line of npmrc.split(/\r?\n/)) {
    const setting = /^\s*((@[^:\s]+):)?registry\s*=\s*(\S+)/.exec(line)
    if (setting !== null) found.push({ where: '.npmrc', scope: setting[2] ?? 'default', url: setting[3] })
  }
  return found
}

/** One line per registry that is not reached over https. */
export function checkRegistries (registries) {
  return registries
    .filter(({ url }) => !url.startsWith('https://'))
    .map(({ where, scope, url }) => `registry for ${scope} (${where}) is ${url}: packages must come over https`)
}
