/**
 * The one vocabulary of secrets: which values look like a secret, which URLs
 * carry credentials, and how output hides both. Command input checks
 * (--source, --description, URL flags), the security rules of `ssmd validate`
 * and the output redactor of every command use these functions, so whatever a
 * command accepts passes validation, and whatever validation detects is
 * redacted wherever it would be printed.
 */

/** A well-known token shape. `pattern` is global so that the redactor can replace every occurrence. */
export interface TokenShape {
  id: string
  /** For messages: "value looks like <what>". */
  what: string
  pattern: RegExp
  /** What replaces a match in output. */
  mask: (match: string) => string
  /** An extra test for shapes a pattern alone cannot tell from ordinary text. */
  accept?: (match: string) => boolean
}

const keep = (n: number) => (m: string) => `${m.slice(0, n)}****`

export const TOKEN_SHAPES: readonly TokenShape[] = [
  {
    id: 'private-key',
    what: 'a private key block',
    // Header to footer, in literal or escaped form (\n; \u000a as text output shows a line feed);
    // without a footer, as far as the key's alphabet goes (base64, white space, escapes, PEM
    // headers), so a quote ending the string that holds it (JSON, YAML) is never taken. A block
    // masked already (header and ****) is taken as it is.
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\*{4}|(?:[A-Za-z0-9+/=\s:,.-]|\\(?:[nrt]|u000[9ad]))*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|(?![A-Za-z0-9+/=\s:,.-]|\\(?:[nrt]|u000[9ad]))))/g,
    mask: m => `${/^-----BEGIN [A-Z0-9 ]*-----/.exec(m)?.[0] ?? '-----BEGIN PRIVATE KEY-----'}****`,
  },
  { id: 'aws-access-key-id', what: 'an AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, mask: keep(4) },
  {
    id: 'aws-secret-access-key',
    what: 'an AWS secret access key',
    pattern: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    mask: () => '****',
    accept: m => /[a-z]/.test(m) && /[A-Z]/.test(m) && /[0-9]/.test(m) && entropy(m) >= 4,
  },
  { id: 'github-token', what: 'a GitHub token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g, mask: keep(4) },
  { id: 'github-fine-grained-token', what: 'a GitHub fine-grained token', pattern: /\bgithub_pat_[A-Za-z0-9_]{22,}/g, mask: keep(11) },
  { id: 'slack-token', what: 'a Slack token', pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g, mask: keep(5) },
  { id: 'stripe-key', what: 'a Stripe key', pattern: /\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g, mask: keep(8) },
  { id: 'google-api-key', what: 'a Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, mask: keep(4) },
  { id: 'npm-token', what: 'an npm token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g, mask: keep(4) },
  { id: 'jwt', what: 'a JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g, mask: keep(3) },
  {
    id: 'secret-keyed-value',
    what: 'a random-looking value under a secret-like key',
    // `api_secret: X`, `"private_key_id": "X"`, `token=X` inside text (YAML lines, JSON, diffs), X random-looking.
    pattern: /\b[\w.-]*(?:secret|password|passwd|token|api_?key|private_?key|credential)[\w.-]*["']?\s*[:=]\s*["']?[^\s"',;{}[\]]{16,}/gi,
    mask: m => m.replace(/[^\s"',;{}[\]:=]+$/, '****'),
    accept: m => looksRandom(/[^\s"',;{}[\]:=]+$/.exec(m)?.[0] ?? ''),
  },
  {
    id: 'secret-assignment',
    what: 'an assignment of a secret',
    pattern: /\b(?:password|passwd|secret|token|api[_-]?key)\s*[=]\s*[^\s'",;]{4,}/gi,
    mask: m => `${/^[^=]*=\s*/.exec(m)?.[0] ?? ''}****`,
  },
]

/** Every token shape with a prefix contains one of these: most values need no further test. */
const PREFIX_HINT = /PRIVATE KEY|AKIA|ASIA|gh[pousr]_|github_pat_|xox|[sr]k_(?:live|test)_|AIza|npm_|eyJ/i
/**
 * The two shapes that start at a secret-like word (`api_secret: X`,
 * `token=X`) hold one of these words and then a `:` or an `=`: a value that
 * names a secret without assigning one (`sealed-secret/feed-credentials`,
 * `api_secret` in a list of fields) needs no further test.
 */
const KEYWORD_HINT = /secret|passw|token|api[_-]?key|private_?key|credential/i
/** The length of the AWS secret access key shape, which has no prefix: a run of base64 characters ([A-Za-z0-9/+]). */
const LONG_RUN = 40

const isBase64Char = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 47 || c === 43

/**
 * True when `text` holds a run of LONG_RUN base64 characters: as the regular
 * expression /[A-Za-z0-9/+]{40}/ says, but looking at the last character of
 * each window first and skipping past any other character found, so a text of
 * short words (a definition file) costs a few looks per 40 characters, not a
 * try at every character (a third of the secret scan of 3,000 .capnp files).
 */
export function hasLongRun(text: string): boolean {
  let start = 0
  while (start + LONG_RUN <= text.length) {
    let j = start + LONG_RUN - 1
    while (j >= start && isBase64Char(text.charCodeAt(j))) j--
    if (j < start) return true
    start = j + 1
  }
  return false
}

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>()
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  let h = 0
  for (const n of counts.values()) {
    const p = n / s.length
    h -= p * Math.log2(p)
  }
  return h
}

/** The shortest text any token shape matches (`token=abcd`). */
const SHORTEST_TOKEN = 10

/** False when `text` cannot hold any token shape (most values): tested before any generator is made. */
function mayHoldToken(text: string): boolean {
  if (text.length < SHORTEST_TOKEN) return false
  return PREFIX_HINT.test(text) || ((text.includes(':') || text.includes('=')) && KEYWORD_HINT.test(text)) || hasLongRun(text)
}

/** Each match of a shape in `text`, with the shape. */
function* tokenMatches(text: string): Generator<{ shape: TokenShape; index: number; match: string }> {
  if (!mayHoldToken(text)) return
  for (const shape of TOKEN_SHAPES) {
    shape.pattern.lastIndex = 0
    for (let m = shape.pattern.exec(text); m !== null; m = shape.pattern.exec(text)) {
      if (m[0] === '') {
        shape.pattern.lastIndex++
        continue
      }
      if (!shape.accept || shape.accept(m[0])) yield { shape, index: m.index, match: m[0] }
    }
  }
}

/** The first well-known token shape found in `text`. */
export function tokenShapeIn(text: string): TokenShape | undefined {
  if (!mayHoldToken(text)) return undefined
  for (const { shape } of tokenMatches(text)) return shape
  return undefined
}

// ---- URLs -----------------------------------------------------------------------------

/** `scheme://` at the start of a URL. */
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(?=.)/
/** Where URLs start inside a longer text. */
const URL_START = /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\//g
/** What ends a URL inside a longer text: white space, quotes, angle brackets. */
const URL_END = /[\s'"<>`]/

/** The lower-case scheme of a URL with something after `://`, or undefined. */
export function urlScheme(value: string): string | undefined {
  return SCHEME.exec(value)?.[1]?.toLowerCase()
}

/** The URL as the WHATWG parser reads it, with `{placeholders}` of URL templates replaced; undefined when it does not parse. */
export function parseUrl(value: string): URL | undefined {
  for (const candidate of [value, value.replace(/\{[^{}]*\}/g, 'x')]) {
    try {
      return new URL(candidate)
    } catch {
      // try the next form
    }
  }
  return undefined
}

/**
 * True when a `scheme://…` URL carries a user name or password. The WHATWG
 * parser decides (so `redis://:pw@host`, an empty user with a password, and a
 * password holding `@` or `:` are found); a URL the parser refuses that holds
 * an `@` before its query also counts: a password holding an unescaped `/`
 * makes the parser read the rest as a port and a path.
 */
export function hasUrlCredentials(url: string): boolean {
  const scheme = urlScheme(url)
  if (scheme === undefined) return false
  const beforeQuery = url.split(/[?#]/, 1)[0]
  const afterScheme = beforeQuery.slice(scheme.length + 3)
  const authority = afterScheme.split('/', 1)[0]
  if (authority.includes('@')) return true
  const parsed = parseUrl(url)
  if (parsed && (parsed.username !== '' || parsed.password !== '')) return true
  // A password holding an unescaped `/` ends the authority early; the parser then refuses the rest as a port.
  return parsed === undefined && afterScheme.includes('@')
}

/** Every `scheme://…` URL inside a longer text, with its position. */
function* urlsIn(text: string): Generator<{ index: number; url: string }> {
  if (!text.includes('://')) return
  URL_START.lastIndex = 0
  for (let m = URL_START.exec(text); m !== null; m = URL_START.exec(text)) {
    const rest = text.slice(m.index)
    const end = rest.search(URL_END)
    const url = end === -1 ? rest : rest.slice(0, end)
    yield { index: m.index, url }
    URL_START.lastIndex = m.index + Math.max(url.length, m[0].length)
  }
}

/** The first URL in `text` that carries credentials, as `scheme`, or undefined. */
export function credentialUrlIn(text: string): { scheme: string; hasPassword: boolean } | undefined {
  // User info always ends in an `@`: most values need no parsing at all.
  if (!text.includes('@')) return undefined
  for (const { url } of urlsIn(text)) {
    if (hasUrlCredentials(url)) {
      const userinfo = userInfoOf(url)
      return { scheme: urlScheme(url)!, hasPassword: userinfo.includes(':') || userinfo === '' }
    }
  }
  return undefined
}

/** The part of a credential URL between `://` and its last `@` before the query. */
function userInfoOf(url: string): string {
  const start = url.indexOf('://') + 3
  const beforeQuery = url.slice(start).split(/[?#]/, 1)[0]
  const at = beforeQuery.lastIndexOf('@')
  return at === -1 ? '' : beforeQuery.slice(0, at)
}

/** A credential URL with its password (or a user name that may be a token) masked: `nats://user:****@host`. */
export function redactUrl(url: string): string {
  if (!hasUrlCredentials(url)) return url
  const start = url.indexOf('://') + 3
  const userinfo = userInfoOf(url)
  const colon = userinfo.indexOf(':')
  // A user name alone is shown only when it is an ordinary account name (`admin@`, `capture@`);
  // anything else may be a token used as the user (`https://ghp_…@github.com`).
  if (colon === -1 && /^[a-z][a-z0-9._-]{0,31}$/.test(userinfo) && !tokenShapeIn(userinfo)) return url
  const user = colon === -1 ? '' : userinfo.slice(0, colon)
  const shown = colon === -1 ? '****' : /[/@]/.test(user) ? '****' : `${user}:****`
  return url.slice(0, start) + shown + url.slice(start + userinfo.length)
}

// ---- values -----------------------------------------------------------------------------

/** Keys under which a value is a secret when it looks random. */
export const SECRET_KEY_NAME = /(secret|password|passwd|token|api_?key|private_?key|credential)/i
/** Keys whose value must be a reference to a secret store, never the secret. */
export const REFERENCE_KEY = /^source$/
/** What a reference to a secret looks like. */
const REFERENCE = /^(env$|sealed-secret\/|vault\/|\$\{|\$[A-Z_])/

/** A long, random-looking string: what a pasted secret usually is. */
export function looksRandom(s: string): boolean {
  if (s.length < 16 || /\s/.test(s) || REFERENCE.test(s) || urlScheme(s) !== undefined || s.startsWith('/')) return false
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter(re => re.test(s)).length
  return classes >= 2 && entropy(s) >= 3.5
}

/**
 * What kind of secret `value` holds, or undefined: a well-known token shape,
 * a URL with credentials, or (under a secret-like or reference key) a
 * random-looking value.
 */
export function secretIn(value: string, key = ''): string | undefined {
  const shape = tokenShapeIn(value)
  if (shape) return shape.what
  if (credentialUrlIn(value)) return 'a URL with credentials'
  if ((SECRET_KEY_NAME.test(key) || REFERENCE_KEY.test(key)) && looksRandom(value)) return 'a random token'
  return undefined
}

// ---- text -----------------------------------------------------------------------------

/**
 * Every secret in a free text (a file that is not a YAML document: notes,
 * definitions, anything a commit may take): each token shape and each URL
 * carrying credentials, by position, overlapping matches dropped.
 */
export function secretsInText(text: string): Array<{ index: number; what: string }> {
  const found: Array<{ index: number; end: number; what: string }> = []
  for (const { shape, index, match } of tokenMatches(text)) found.push({ index, end: index + match.length, what: shape.what })
  if (text.includes('@')) {
    for (const { index, url } of urlsIn(text)) if (hasUrlCredentials(url)) found.push({ index, end: index + url.length, what: 'a URL with credentials' })
  }
  found.sort((a, b) => a.index - b.index || b.end - a.end)
  const out: Array<{ index: number; what: string }> = []
  let last = -1
  for (const f of found) {
    if (f.index < last) continue
    out.push({ index: f.index, what: f.what })
    last = f.end
  }
  return out
}

// ---- output -----------------------------------------------------------------------------

/** `text` with every token shape and every URL password masked. */
export function redact(text: string): string {
  if (typeof text !== 'string' || text === '') return text
  let out = text
  if (out.includes('://') && out.includes('@')) {
    let rebuilt = ''
    let last = 0
    for (const { index, url } of urlsIn(out)) {
      rebuilt += out.slice(last, index) + redactUrl(url)
      last = index + url.length
    }
    out = rebuilt + out.slice(last)
  }
  if (!mayHoldToken(out)) return out
  const matches = [...tokenMatches(out)].sort((a, b) => a.index - b.index || b.match.length - a.match.length)
  if (matches.length === 0) return out
  let rebuilt = ''
  let last = 0
  for (const { shape, index, match } of matches) {
    if (index < last) continue
    // A match never ends inside an escape sequence (`\"` in JSON or YAML text): the quote stays escaped.
    const whole = match.replace(/(?<!\\)(?:\\\\)*\\$/, m => m.slice(0, -1))
    rebuilt += out.slice(last, index) + shape.mask(whole)
    last = index + whole.length
  }
  return rebuilt + out.slice(last)
}

/**
 * A copy of structured output (JSON) with every string redacted, and values
 * under secret-like or reference keys masked when they look random.
 */
export function redactValue<T>(value: T, key = ''): T {
  if (typeof value === 'string') {
    if ((SECRET_KEY_NAME.test(key) || REFERENCE_KEY.test(key)) && looksRandom(value)) return '****' as T
    return redact(value) as T
  }
  if (Array.isArray(value)) return value.map(v => redactValue(v, key)) as T
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[redact(k)] = redactValue(v, k)
    return out as T
  }
  return value
}
