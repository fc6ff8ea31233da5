/**
 * git's check-ref-format rules for a full ref name (`refs/heads/<branch>`):
 * no empty component, none starting with '.' or ending with '.lock', no '..',
 * no '@{', no control characters, space, ~ ^ : ? * [ or backslash, and no
 * trailing '/' or '.'; '@' alone is not a ref.
 */
export function isValidRefName(ref: string): boolean {
  if (ref === '@' || ref.endsWith('/') || ref.endsWith('.') || ref.includes('..') || ref.includes('@{')) return false
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(ref)) return false
  return ref.split('/').every(c => c !== '' && !c.startsWith('.') && !c.endsWith('.lock'))
}
