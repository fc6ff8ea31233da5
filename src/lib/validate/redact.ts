/**
 * Findings quote values from the files, and validation output ends up in CI
 * logs: never let a quoted value carry a password or a token.
 */
const URL_CREDENTIALS = /\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/\s:@'"]+):([^/\s@'"]*)@/g
const TOKENS = [
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|$)/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{40,}\b/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  /\bsk_live_[A-Za-z0-9]{20,}\b/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
]

export function redactSecrets(text: string): string {
  let out = text.replace(URL_CREDENTIALS, '$1$2:****@')
  for (const re of TOKENS) out = out.replace(re, m => `${m.slice(0, 4)}****`)
  return out
}
