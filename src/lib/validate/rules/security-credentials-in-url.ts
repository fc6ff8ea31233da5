import { builtinRule, eachString } from './util.js'

const CREDENTIAL_URL = /\b([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/\s:@]+)(:[^/\s@]*)?@/

export default builtinRule({
  meta: {
    id: 'security/credentials-in-url',
    severity: 'error',
    description: 'No URL carries a user name or password.',
    // The finding never repeats the user name or the password.
    messages: { credentials: 'URL carries credentials ({{scheme}}://{{who}}@…); remove them and reference a key instead (ssmd env add-key)' },
  },
  document(doc, ctx) {
    if (doc.data === undefined) return
    eachString(doc.data, (value, _key, path) => {
      const m = value.includes('@') ? CREDENTIAL_URL.exec(value) : null
      if (m) ctx.report({ path: path(), messageId: 'credentials', data: { scheme: m[1], who: m[3] ? 'user:****' : 'user' } })
    })
  },
})
