import { SsmdError } from '../core/errors.js'

const C_ESCAPES: Record<number, string> = { 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r', 34: '"', 92: '\\' }

/**
 * A path as git prints it (quote_c_style): in double quotes with C escapes
 * when it holds a control character, `"` or `\`, or — with core.quotePath
 * on (the default) — any byte above 0x7f, which is written in octal. Given
 * as bytes, a path that is not UTF-8 is shown as git shows it
 * (`"feeds/odd\351.yaml"`).
 */
export function quotePath(path: string | Buffer, quoteHighBytes = true): string {
  const bytes = typeof path === 'string' ? Buffer.from(path, 'utf8') : path
  let needs = false
  let out = ''
  let plain: number[] = []
  const flush = () => {
    if (plain.length) out += Buffer.from(plain).toString('utf8')
    plain = []
  }
  for (const b of bytes) {
    const esc = C_ESCAPES[b]
    if (esc !== undefined) {
      flush()
      out += `\\${esc}`
      needs = true
    } else if (b < 0x20 || b === 0x7f || (b >= 0x80 && quoteHighBytes)) {
      flush()
      out += `\\${b.toString(8).padStart(3, '0')}`
      needs = true
    } else {
      plain.push(b)
    }
  }
  flush()
  return needs ? `"${out}"` : typeof path === 'string' ? path : out
}

/**
 * The refusal for a path under ssmd's folders whose name is not UTF-8 (or
 * holds U+FFFD; src/lib/io/file-names.ts), shown by its bytes as git shows it.
 */
export function undecodablePathError(bytes: Buffer): SsmdError {
  return new SsmdError(
    `${quotePath(bytes)}: the file name is not UTF-8 (or holds U+FFFD), and ssmd cannot read, show or commit such a file as it is; rename or remove it with git (git mv, git rm; an untracked file can simply be deleted), and commit that with git`,
    { code: 'file-name' },
  )
}
