/**
 * The output gate: the one place every byte ssmd prints passes through.
 *
 * `installOutputGate()` wraps `process.stdout.write` and `process.stderr.write`
 * (bin/run.js installs it before anything is written, once it knows how the
 * command starts: the light start installs this module's copy in its bundle,
 * lib/light/start.cjs, any other run the ES module's; the base command installs
 * it again, idempotently, for in-process runs). Whatever writes — a command's
 * lines, its `--json` result, an error, oclif's help, a rendered document, a
 * hook's output — is then redacted here, not at each call site:
 *
 * - text (a string) has every token shape and every URL password masked
 *   (`redact`), and every value `maskInOutput` was given;
 * - bytes (a Buffer, e.g. `schema compile`'s binary request) cannot be masked
 *   without corrupting them: bytes that hold a secret are refused whole, with
 *   one error, and nothing of them is written.
 *
 * Each write is redacted whole, so whatever writes must not split a secret
 * across writes: ssmd writes whole lines or whole documents, and streams it
 * relays (hook output) go through `lineWriter` (io/line-writer.ts), which writes whole lines.
 *
 * This module imports no oclif (it loads before it) and only the redactor.
 */
import { SsmdError } from '../core/errors.js'
import { redact, secretIn } from '../domain/secrets.js'

const GATED = Symbol.for('ssmd.output-gate')

type Write = NodeJS.WriteStream['write'] & { [GATED]?: true }
type Callback = (error?: Error | null) => void

const TEXT_ENCODINGS = new Set([undefined, 'utf8', 'utf-8', 'UTF8', 'UTF-8'])

/** What bytes hold when they hold a secret ("a Stripe key"), else undefined. Latin-1 keeps every byte one character: an ASCII token is found as is. */
function secretInBytes(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  if (maskText(text) === text) return undefined
  return secretIn(text) ?? 'a secret'
}

/** Values known to be secret in this run (a password taken from the environment), masked wherever they appear. */
const known: string[] = []

/**
 * Masks `value` in every later write, whatever its shape: for secrets ssmd
 * holds (the etcd password) rather than recognises. Values under 4 characters
 * are not masked (they would mask ordinary text).
 */
export function maskInOutput(value: string): void {
  if (value.length >= 4 && !known.includes(value)) known.push(value)
}

function maskText(text: string): string {
  let out = redact(text)
  for (const value of known) if (out.includes(value)) out = out.replaceAll(value, '****')
  return out
}

/** Wraps one stream's write; a no-op when it is already gated. */
function gate(stream: NodeJS.WriteStream): void {
  const original = stream.write as Write
  if (original[GATED]) return
  const gated = function (this: NodeJS.WriteStream, chunk: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
    const enc = typeof encoding === 'string' ? encoding : undefined
    if (typeof chunk === 'string') {
      if (TEXT_ENCODINGS.has(enc)) return original.call(this, maskText(chunk), encoding as BufferEncoding, callback)
      chunk = Buffer.from(chunk, enc)
    }
    if (chunk instanceof Uint8Array) {
      const what = secretInBytes(chunk)
      if (what !== undefined) {
        throw new SsmdError(`the output holds what looks like ${what}, and bytes cannot be masked: nothing was written; remove the secret from the files the output comes from`)
      }
    }
    return original.call(this, chunk as Uint8Array, encoding as BufferEncoding, callback)
  } as Write
  gated[GATED] = true
  stream.write = gated
}

/** Routes every later write to stdout and stderr through the redactor. Safe to call more than once. */
export function installOutputGate(): void {
  gate(process.stdout)
  gate(process.stderr)
}
