import { builtinRule, eachString } from './util.js'

/** Well-known token shapes. */
const TOKEN_SHAPES: Array<[RegExp, string]> = [
  [/-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----/, 'a private key block'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, 'a GitHub token'],
  [/\bgithub_pat_[A-Za-z0-9_]{40,}\b/, 'a GitHub fine-grained token'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/\bsk_live_[A-Za-z0-9]{20,}\b/, 'a Stripe secret key'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, 'a Google API key'],
  [/\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, 'a JSON Web Token'],
]

/** Every token shape contains one of these: most values need no further test. */
const TOKEN_HINT = /PRIVATE KEY|AKIA|ASIA|gh[pousr]_|github_pat_|xox|sk_live_|AIza|eyJ/

const SECRET_KEY_NAME = /(secret|password|passwd|token|api_?key|private_?key|credential)/i
const REFERENCE = /^(env|sealed-secret\/|vault\/|\$\{|\$[A-Z_])/

function entropy(s: string): number {
  const counts = new Map<string, number>()
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  let h = 0
  for (const n of counts.values()) {
    const p = n / s.length
    h -= p * Math.log2(p)
  }
  return h
}

/** A long, random-looking string: what a pasted secret usually is. */
function looksRandom(s: string): boolean {
  if (s.length < 16 || /\s/.test(s) || REFERENCE.test(s) || /^[a-z]+:\/\//i.test(s) || s.startsWith('/')) return false
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter(re => re.test(s)).length
  return classes >= 2 && entropy(s) >= 3.5
}

export default builtinRule({
  meta: {
    id: 'security/secret-literal',
    severity: 'error',
    description: 'No value looks like a secret: private keys, well-known token shapes, or a random string under a secret-like key.',
    messages: {
      tokenShape: 'value looks like {{shape}}; never store secret values in ssmd files — reference them with an env key (ssmd env add-key) and rotate the leaked secret',
      randomUnderSecretKey: "'{{key}}' holds what looks like a secret value; store a reference (env, sealed-secret/<name>, vault/<path>) instead and rotate the secret",
    },
  },
  document(doc, ctx) {
    if (doc.data === undefined) return
    eachString(doc.data, (value, key, path) => {
      const shape = TOKEN_HINT.test(value) ? TOKEN_SHAPES.find(([re]) => re.test(value)) : undefined
      if (shape) {
        ctx.report({ path: path(), messageId: 'tokenShape', data: { shape: shape[1] } })
      } else if (SECRET_KEY_NAME.test(key) && looksRandom(value)) {
        ctx.report({ path: path(), messageId: 'randomUnderSecretKey', data: { key } })
      }
    })
  },
})
