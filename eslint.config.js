import neostandard, { resolveIgnoresFromGitignore } from 'neostandard'

// Modules a package must not load: running programs and evaluating code are not the business of
// an HTTP plugin, and each is a way to turn a request into code execution.
const forbiddenModules = ['child_process', 'vm', 'worker_threads', 'cluster']
  .flatMap((name) => [name, `node:${name}`])
  .map((name) => ({ name, message: 'Packages do not start processes or evaluate code.' }))
  .concat(['module', 'node:module'].map((name) => ({
    name, importNames: ['createRequire'], message: 'ESM only: a require() made at run time loads what no import shows.'
  })))

// What the published packages' source must not do (issue 9, the security audit). neostandard
// already refuses eval, new Function, implied eval (setTimeout('...')), __proto__ and with.
const unsafePatterns = {
  files: ['packages/*/src/**/*.ts'],
  rules: {
    'no-console': 'error',
    'no-restricted-imports': ['error', { paths: forbiddenModules }],
    'no-restricted-syntax': ['error', {
      selector: `ImportExpression[source.value=/^(node:)?(${['child_process', 'vm', 'worker_threads', 'cluster'].join('|')})$/]`,
      message: 'Packages do not start processes or evaluate code.'
    }, {
      selector: 'CallExpression[callee.name="require"]',
      message: 'ESM only: import, do not require (and never a module chosen at run time).'
    }],
    'no-restricted-properties': ['error', {
      object: 'Math',
      property: 'random',
      message: 'Not unpredictable: ids, tokens and jitter come from node:crypto (randomUUID, randomBytes, randomInt).'
    }, {
      object: 'process',
      property: 'binding',
      message: 'Internal bindings are not an API.'
    }, {
      object: 'process',
      property: 'dlopen',
      message: 'Packages do not load native code.'
    }],
    'no-script-url': 'error',
    'n/no-deprecated-api': 'error'
  }
}

export default [
  ...neostandard({
    ts: true,
    ignores: resolveIgnoresFromGitignore()
  }),
  unsafePatterns
]
