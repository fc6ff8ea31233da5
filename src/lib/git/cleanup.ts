import { rmSync } from 'node:fs'

/**
 * Files to remove if the process is interrupted (SIGINT, SIGTERM, SIGHUP):
 * git's lock files ssmd holds and its temporary files. Handlers are installed
 * only while something is registered, so at any other time a signal acts as
 * it always does. After cleaning up, the signal is raised again with its
 * default action, so the exit status says what happened (as git does).
 */
const pending = new Set<string>()
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
let installed = false

function onSignal(signal: NodeJS.Signals): void {
  removeAll()
  uninstall()
  process.kill(process.pid, signal)
}

function onExit(): void {
  removeAll()
}

function removeAll(): void {
  for (const p of pending) {
    try {
      rmSync(p, { force: true })
    } catch {
      /* best effort while dying */
    }
  }
  pending.clear()
}

function install(): void {
  for (const s of SIGNALS) process.on(s, onSignal)
  process.on('exit', onExit)
  installed = true
}

function uninstall(): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal)
  process.removeListener('exit', onExit)
  installed = false
}

/** Removes `path` if the process is interrupted before `release(path)`. */
export function removeOnSignal(path: string): void {
  pending.add(path)
  if (!installed) install()
}

/** `path` is no longer ours to clean up (renamed into place, or removed). */
export function release(path: string): void {
  pending.delete(path)
  if (pending.size === 0 && installed) uninstall()
}

/** Lets pending signal handlers run (between batches of synchronous work). */
export function yieldToSignals(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve))
}
