// Part of `npm run build`: the bundles run with a V8 code cache (scripts/bundle-vendor.js,
// scripts/bundle-light.js) are written in ASCII only, so that their loaders read them as
// latin1: a one-byte string, read without UTF-8 decoding, half the memory of the
// two-byte string a single non-ASCII character makes of the whole file.

/**
 * `text` (JavaScript source) with each non-ASCII UTF-16 unit written as a \u
 * escape: the same code, since esbuild leaves such characters only in comments,
 * string and regular expression literals (where the escape means the same
 * character) and identifiers. Throws where the character follows a backslash,
 * whose escape would mean something else.
 */
export function asciiSource(text, file) {
  return text.replace(/[\u0080-\uffff]/g, (c, i) => {
    if (text[i - 1] === '\\') throw new Error(`${file}: an escaped non-ASCII character at offset ${i} the build cannot rewrite; update scripts/ascii-source.js`)
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}
