import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/** Debian's Chromium (package `chromium`): Playwright drives it; it never downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium'

/**
 * Chromium's flags, headless, for a machine whose network is closed: without the background
 * networking ones, Chromium keeps trying to reach Google's hosts and its connections are refused.
 */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'
]

function note (line: string): void {
  process.stderr.write(`browser test: ${line}\n`)
}

function aptGet (args: string[]): { status: number, output: string } {
  // Waits for the dpkg lock rather than failing at once when another apt is running.
  const result = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
    encoding: 'utf8', timeout: 900_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  })
  return { status: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}` }
}

/**
 * Makes sure Chromium is at {@link CHROMIUM}: installs Debian's package when it is missing and this
 * process may (root, apt-get). Without recommended packages: those would bring systemd, udev,
 * avahi-daemon and a hundred others that a headless browser does not use. Answers why not, when
 * it is not there.
 */
export function ensureChromium (): { ok: true } | { ok: false, reason: string } {
  if (existsSync(CHROMIUM)) return { ok: true }
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    return { ok: false, reason: `${CHROMIUM} is missing, and installing Debian's chromium needs root and apt-get` }
  }
  const started = Date.now()
  note('installing Debian\'s chromium (apt-get install -y --no-install-recommends chromium)')
  const install = ['install', '-y', '--no-install-recommends', 'chromium']
  let result = aptGet(install)
  if (result.status !== 0) {
    // Package lists that are missing or stale name files the mirror no longer has.
    aptGet(['update'])
    result = aptGet(install)
  }
  if (result.status !== 0 || !existsSync(CHROMIUM)) {
    return { ok: false, reason: `apt-get install chromium failed:\n${result.output.trim().split('\n').slice(-15).join('\n')}` }
  }
  note(`chromium installed in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  return { ok: true }
}

export async function launchChromium (): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, chromiumSandbox: false })
}
