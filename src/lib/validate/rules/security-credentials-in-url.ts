import { credentialUrlIn } from '../../domain/secrets.js'
import { builtinRule, eachString } from './util.js'

/** URLs are read as the WHATWG parser reads them (domain/secrets.ts): empty users and passwords holding @ or : count. */
export default builtinRule({
  meta: {
    id: 'security/credentials-in-url',
    severity: 'error',
    scope: 'file',
    description: 'No URL carries a user name or password.',
    // The finding never repeats the user name or the password.
    messages: { credentials: 'URL carries credentials ({{scheme}}://{{who}}@…); remove them and reference a key instead (ssmd env add-key)' },
  },
  document(doc, ctx) {
    if (doc.data === undefined) return
    eachString(doc.data, (value, _key, path) => {
      const m = credentialUrlIn(value)
      if (m) ctx.report({ path: path(), messageId: 'credentials', data: { scheme: m.scheme, who: m.hasPassword ? 'user:****' : 'user' } })
    })
  },
})
