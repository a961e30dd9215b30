// The licence check: every package a user of our published packages installs for production
// (their dependencies, optional dependencies and required peers, transitively) declares an SPDX
// licence expression that the allow-list satisfies.

import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * Permissive licences: use, modify and ship in a proprietary product with only a notice to keep.
 * Beyond the usual set, MIT-0 and Zlib: OSI approved and no more demanding than MIT. Left out
 * until someone reviews a package that needs them: public-domain dedications (CC0-1.0, which
 * withholds patent rights, and Unlicense) and anything with a copyleft or field-of-use clause.
 */
export const ALLOWED = [
  'MIT', 'MIT-0', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'BlueOak-1.0.0', 'Zlib'
]

/**
 * Parses an SPDX licence expression (`MIT`, `(MIT OR Apache-2.0)`, `Apache-2.0 AND BSD-3-Clause`,
 * `GPL-2.0-only WITH Classpath-exception-2.0`, `Apache-2.0+`) into a tree. Operators are read in
 * any case (packages write `MIT or Apache-2.0`); WITH binds tighter than AND, AND than OR.
 * Throws on anything else (`SEE LICENSE IN ...`, `UNLICENSED`, `MIT/X11`, an empty string).
 */
export function parseSpdx (expression) {
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? []
  let at = 0
  const peek = () => tokens[at]?.toUpperCase()
  const fail = (why) => { throw new SyntaxError(`not an SPDX expression (${why}): "${expression}"`) }
  const id = () => {
    const token = tokens[at++]
    if (token === undefined || ['AND', 'OR', 'WITH', '(', ')'].includes(token.toUpperCase())) fail(`expected a licence at "${token ?? 'the end'}"`)
    if (!/^[A-Za-z0-9.-]+\+?$/.test(token)) fail(`"${token}" is not a licence id`)
    return token
  }
  const atom = () => {
    if (peek() === '(') {
      at++
      const inner = or()
      if (tokens[at++] !== ')') fail('unbalanced parenthesis')
      return inner
    }
    const licence = { licence: id() }
    if (peek() === 'WITH') {
      at++
      licence.exception = id()
    }
    return licence
  }
  const chain = (operator, next) => () => {
    const terms = [next()]
    while (peek() === operator) {
      at++
      terms.push(next())
    }
    return terms.length === 1 ? terms[0] : { [operator.toLowerCase()]: terms }
  }
  const and = chain('AND', atom)
  const or = chain('OR', and)
  if (tokens.length === 0) fail('empty')
  const tree = or()
  if (at !== tokens.length) fail(`unexpected "${tokens[at]}"`)
  return tree
}

/**
 * Whether the licences in `allowed` satisfy an expression: one branch of an OR, every term of an
 * AND. `X+` (X or later) and `X WITH exception` (X plus extra permissions) are at least as
 * permissive as X, so they pass when X does.
 */
export function satisfies (tree, allowed = ALLOWED) {
  const set = new Set(allowed.map((licence) => licence.toLowerCase()))
  const test = (node) => {
    if (node.or) return node.or.some(test)
    if (node.and) return node.and.every(test)
    return set.has(node.licence.replace(/\+$/, '').toLowerCase())
  }
  return test(tree)
}

/**
 * The licence a manifest declares, as one SPDX expression: the `license` string, or the
 * deprecated `{ type }` object and `licenses: [{ type }]` array (read as all of them, AND,
 * since the array never said whether the licences were alternatives).
 */
export function declaredLicence (manifest) {
  const { license, licenses } = manifest
  if (typeof license === 'string') return license
  if (typeof license?.type === 'string') return license.type
  if (Array.isArray(licenses) && licenses.length > 0) {
    const types = licenses.map((entry) => typeof entry === 'string' ? entry : entry?.type)
    if (types.every((type) => typeof type === 'string')) {
      return types.length === 1 ? types[0] : types.map((type) => `(${type})`).join(' AND ')
    }
  }
  return undefined
}

/** Why a manifest's licence is refused, or `undefined` when the allow-list satisfies it. */
export function licenceProblem (manifest, allowed = ALLOWED) {
  const licence = declaredLicence(manifest)
  if (licence === undefined) return 'no licence declared'
  try {
    return satisfies(parseSpdx(licence), allowed) ? undefined : `${licence} is not in the allow-list`
  } catch (error) {
    return error.message
  }
}

function readManifest (dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
}

/** Where Node would find package `name` from `dir` (a real path): `node_modules` up the tree. */
function resolvePackage (dir, name) {
  for (let at = dir; ; at = dirname(at)) {
    if (basename(at) !== 'node_modules') {
      const candidate = join(at, 'node_modules', name)
      if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    }
    if (dirname(at) === at) return undefined
  }
}

/**
 * The production dependency closure of the packages in `roots` (directories): what a user who
 * installs them gets, read from an installed `node_modules` tree. Roots contribute their
 * dependencies, optional dependencies and peers not marked optional; every package reached
 * contributes its dependencies, optional dependencies and the peers installed beside it.
 * A dependency that should be there and is not is reported, since its licence cannot be read.
 */
export function productionClosure (roots) {
  const found = new Map()
  const missing = []
  const visit = (dir, isRoot) => {
    if (found.has(dir)) return
    const manifest = readManifest(dir)
    found.set(dir, { name: manifest.name, version: manifest.version, manifest, dir })
    const optionalPeers = new Set(Object.entries(manifest.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta?.optional === true).map(([name]) => name))
    const wanted = [
      ...Object.keys(manifest.dependencies ?? {}).map((name) => [name, true]),
      ...Object.keys(manifest.optionalDependencies ?? {}).map((name) => [name, false]),
      ...Object.keys(manifest.peerDependencies ?? {})
        .filter((name) => !(isRoot && optionalPeers.has(name)))
        .map((name) => [name, isRoot])
    ]
    for (const [name, required] of wanted) {
      const resolved = resolvePackage(dir, name)
      if (resolved !== undefined) visit(resolved, false)
      else if (required) missing.push(`${name} (needed by ${manifest.name}@${manifest.version}) is not installed`)
    }
  }
  for (const root of roots) visit(realpathSync(root), true)
  return { packages: [...found.values()], missing }
}

/** The publishable (not private) packages under `<repo>/packages`. */
export function publishablePackages (repo) {
  const base = join(repo, 'packages')
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(base, entry.name, 'package.json')))
    .map((entry) => join(base, entry.name))
    .filter((dir) => readManifest(dir).private !== true)
}

/** Runs the check over `roots`: the packages read, and one line per offender. */
export function checkLicences (roots, allowed = ALLOWED) {
  const { packages, missing } = productionClosure(roots)
  const offenders = [...missing]
  for (const { name, version, manifest } of packages) {
    const problem = licenceProblem(manifest, allowed)
    if (problem !== undefined) offenders.push(`${name}@${version}: ${problem}`)
  }
  return { packages, offenders: offenders.sort() }
}
