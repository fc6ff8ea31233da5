import { secretIn } from '../../domain/secrets.js'
import { builtinRule, eachString } from './util.js'

/** What counts as a secret is the shared vocabulary (domain/secrets.ts): input checks and the output redactor use the same. */
export default builtinRule({
  meta: {
    id: 'security/secret-literal',
    severity: 'error',
    scope: 'file',
    description: 'No value looks like a secret: private keys, well-known token shapes, or a random string under a secret-like key.',
    messages: {
      tokenShape: 'value looks like {{shape}}; never store secret values in ssmd files — reference them with an env key (ssmd env add-key) and rotate the leaked secret',
      randomUnderSecretKey: "'{{key}}' holds what looks like a secret value; store a reference (env, sealed-secret/<name>, vault/<path>) instead and rotate the secret",
    },
  },
  document(doc, ctx) {
    if (doc.data === undefined) return
    eachString(doc.data, (value, key, path) => {
      const what = secretIn(value, key)
      // URLs with credentials are security/credentials-in-url's.
      if (what === undefined || what === 'a URL with credentials') return
      if (what === 'a random token') ctx.report({ path: path(), messageId: 'randomUnderSecretKey', data: { key } })
      else ctx.report({ path: path(), messageId: 'tokenShape', data: { shape: what } })
    })
  },
})
