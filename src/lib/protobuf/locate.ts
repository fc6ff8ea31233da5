/**
 * Where each declaration of a .proto file starts (line:column, 1-based). protobufjs
 * parse results carry no positions, so the source is scanned once more with a small
 * tokenizer that follows the block structure (message, enum, service, oneof, extend,
 * group) and records every declaration under the same full name protobufjs gives it.
 */

export interface ProtoPosition {
  line: number
  column: number
}

/**
 * Positions by key: `package`, `syntax`, `type:.pkg.Msg` (message or enum),
 * `service:.pkg.Svc`, `field:.pkg.Msg.name` (also extensions, under the scope
 * that declares them), `value:.pkg.Enum.NAME`, `rpc:.pkg.Svc.Method`,
 * `oneof:.pkg.Msg.name`, `reserved:.pkg.Msg` (first `reserved` statement) and
 * `extensions:.pkg.Msg` (first `extensions` statement).
 */
export type ProtoPositions = Map<string, ProtoPosition>

interface Token extends ProtoPosition {
  text: string
  /** string literal (quotes removed from `text`) */
  string?: boolean
}

const PUNCTUATION = new Set(['{', '}', '(', ')', '[', ']', '<', '>', ';', ',', '=', ':', '/'])

/** Splits .proto source into tokens, skipping whitespace and comments. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let line = 1
  let lineStart = 0
  const n = text.length
  const newline = (at: number) => {
    line++
    lineStart = at + 1
  }
  while (i < n) {
    const c = text[i]
    if (c === '\n') {
      newline(i)
      i++
      continue
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++
      continue
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++
      continue
    }
    if (c === '/' && text[i + 1] === '*') {
      i += 2
      while (i < n && !(text[i] === '*' && text[i + 1] === '/')) {
        if (text[i] === '\n') newline(i)
        i++
      }
      i += 2
      continue
    }
    const at = { line, column: i - lineStart + 1 }
    if (c === '"' || c === "'") {
      let j = i + 1
      let value = ''
      while (j < n && text[j] !== c && text[j] !== '\n') {
        if (text[j] === '\\' && j + 1 < n) {
          value += text[j] + text[j + 1]
          j += 2
          continue
        }
        value += text[j++]
      }
      tokens.push({ text: value, string: true, ...at })
      i = j + 1
      continue
    }
    if (PUNCTUATION.has(c)) {
      tokens.push({ text: c, ...at })
      i++
      continue
    }
    let j = i
    while (j < n && !/[\s{}()[\]<>;,=:"'/]/.test(text[j])) j++
    if (j === i) j = i + 1
    tokens.push({ text: text.slice(i, j), ...at })
    i = j
  }
  return tokens
}

interface Scope {
  kind: 'file' | 'message' | 'enum' | 'service' | 'oneof' | 'extend' | 'block'
  /** Full name with a leading dot (`.pkg.Msg`); for oneof and extend, the enclosing scope's. */
  name: string
  oneof?: string
}

const isIdent = (t: Token | undefined) => t !== undefined && !t.string && /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.text)

/** Positions of the declarations of a .proto file (see ProtoPositions). */
export function locateProto(text: string): ProtoPositions {
  const tokens = tokenize(text)
  const out: ProtoPositions = new Map()
  const put = (key: string, at: ProtoPosition) => {
    if (!out.has(key)) out.set(key, { line: at.line, column: at.column })
  }
  const stack: Scope[] = [{ kind: 'file', name: '' }]
  let i = 0

  /** Index just past the statement starting at `from`: its `;`, or its `{…}` block when `block` is true. */
  const endOfStatement = (from: number, block = false): number => {
    let depth = 0
    for (let j = from; j < tokens.length; j++) {
      const t = tokens[j].text
      if (tokens[j].string) continue
      if (t === '(' || t === '[') depth++
      else if (t === ')' || t === ']') depth--
      else if (t === '{') {
        if (depth === 0 && block) return skipBlock(j)
        depth++
      } else if (t === '}') {
        if (depth === 0) return j
        depth--
      } else if (t === ';' && depth === 0) return j + 1
    }
    return tokens.length
  }
  /** Index just past the `}` matching the `{` at `open`. */
  const skipBlock = (open: number): number => {
    let depth = 0
    for (let j = open; j < tokens.length; j++) {
      if (tokens[j].string) continue
      if (tokens[j].text === '{') depth++
      else if (tokens[j].text === '}' && --depth === 0) return j + 1
    }
    return tokens.length
  }

  while (i < tokens.length) {
    const t = tokens[i]
    const scope = stack[stack.length - 1]
    if (t.string) {
      i++
      continue
    }
    if (t.text === '}') {
      if (stack.length > 1) stack.pop()
      i++
      continue
    }
    if (t.text === ';') {
      i++
      continue
    }
    const next = tokens[i + 1]
    const owner = stack.findLast(s => s.kind !== 'oneof' && s.kind !== 'extend' && s.kind !== 'block')?.name ?? ''
    if (scope.kind === 'file' && (t.text === 'syntax' || t.text === 'edition')) {
      put('syntax', t)
      i = endOfStatement(i)
      continue
    }
    if (scope.kind === 'file' && t.text === 'package' && next) {
      put('package', t)
      stack[0].name = `.${next.text.replace(/^\./, '')}`
      i = endOfStatement(i)
      continue
    }
    if (t.text === 'import' || t.text === 'option') {
      i = endOfStatement(i)
      continue
    }
    if ((scope.kind === 'message' || scope.kind === 'enum') && (t.text === 'reserved' || t.text === 'extensions')) {
      put(`${t.text}:${scope.name}`, t)
      i = endOfStatement(i)
      continue
    }
    if ((t.text === 'message' || t.text === 'enum' || t.text === 'service') && isIdent(next) && tokens[i + 2]?.text === '{' && scope.kind !== 'enum') {
      const name = `${owner}.${next!.text}`
      put(t.text === 'service' ? `service:${name}` : `type:${name}`, t)
      stack.push({ kind: t.text, name })
      i += 3
      continue
    }
    if (t.text === 'oneof' && isIdent(next) && tokens[i + 2]?.text === '{' && scope.kind === 'message') {
      put(`oneof:${scope.name}.${next!.text}`, t)
      stack.push({ kind: 'oneof', name: scope.name, oneof: next!.text })
      i += 3
      continue
    }
    if (t.text === 'extend' && scope.kind !== 'enum' && scope.kind !== 'service') {
      let j = i + 1
      while (j < tokens.length && tokens[j].text !== '{' && tokens[j].text !== ';') j++
      if (tokens[j]?.text === '{') {
        stack.push({ kind: 'extend', name: owner })
        i = j + 1
      } else i = j + 1
      continue
    }
    if (scope.kind === 'service') {
      if (t.text === 'rpc' && isIdent(next)) put(`rpc:${scope.name}.${next!.text}`, t)
      i = endOfStatement(i, true)
      continue
    }
    if (scope.kind === 'enum') {
      if (isIdent(t) && next?.text === '=') put(`value:${scope.name}.${t.text}`, t)
      i = endOfStatement(i)
      continue
    }
    if (scope.kind === 'message' || scope.kind === 'oneof' || scope.kind === 'extend') {
      // A field: [label] type name = number [options];  or a group: [label] group Name = number { … }
      let j = i
      let depth = 0
      let name: string | undefined
      let group = false
      for (; j < tokens.length; j++) {
        const x = tokens[j]
        if (x.string) continue
        if (x.text === '[' || x.text === '(') depth++
        else if (x.text === ']' || x.text === ')') depth--
        else if (depth === 0 && (x.text === ';' || x.text === '{' || x.text === '}')) break
        else if (depth === 0 && x.text === 'group') group = true
        else if (depth === 0 && x.text === '=' && name === undefined && isIdent(tokens[j - 1])) name = tokens[j - 1].text
      }
      if (name !== undefined) {
        const fieldName = group ? name[0].toLowerCase() + name.slice(1) : name
        put(`field:${owner}.${fieldName}`, t)
        if (group && tokens[j]?.text === '{') {
          const typeName = name[0].toUpperCase() + name.slice(1)
          put(`type:${owner}.${typeName}`, t)
          stack.push({ kind: 'message', name: `${owner}.${typeName}` })
          i = j + 1
          continue
        }
      }
      if (tokens[j]?.text === '{') {
        stack.push({ kind: 'block', name: owner })
        i = j + 1
        continue
      }
      i = tokens[j]?.text === ';' ? j + 1 : j
      continue
    }
    i = endOfStatement(i, true)
  }
  return out
}

/** protobufjs's limits (and protoc's): nested message and group declarations, and option value braces. */
export const PROTO_NESTING_LIMIT = 32
export const PROTO_OPTION_DEPTH_LIMIT = 100

export interface ProtoDepthProblem extends ProtoPosition {
  message: string
}

interface DepthScope {
  option: boolean
  /** depth protobufjs gives a message declared here, and a field declared here */
  typeDepth: number
  fieldDepth: number
  optionDepth: number
}

/**
 * Where a .proto file passes protobufjs's nesting limits, which it reports as "max depth
 * exceeded" with no position: the `message` keyword (or the group field) declared deeper than
 * 32 levels, counted as protobufjs counts them (a field's group one level below its message,
 * a oneof's fields too), or the `{` of an option value nested deeper than 100 levels.
 * Iterative: any depth of braces is walked without recursion.
 */
export function locateDepthProblem(text: string): ProtoDepthProblem | undefined {
  const tokens = tokenize(text)
  const stack: DepthScope[] = [{ option: false, typeDepth: 1, fieldDepth: 1, optionDepth: 0 }]
  let start = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    if (t.string) continue
    const top = stack[stack.length - 1]
    if (t.text === ';') {
      start = i + 1
      continue
    }
    if (t.text === '}') {
      if (stack.length > 1) stack.pop()
      start = i + 1
      continue
    }
    if (t.text !== '{') continue
    const first = tokens[start]
    const before = tokens[i - 1]
    if (top.option || (before && !before.string && (before.text === '=' || before.text === ':'))) {
      const depth = top.option ? top.optionDepth + 1 : 0
      if (depth > PROTO_OPTION_DEPTH_LIMIT) {
        return { line: t.line, column: t.column, message: `option value nested deeper than ${PROTO_OPTION_DEPTH_LIMIT} levels; flatten it` }
      }
      stack.push({ ...top, option: true, optionDepth: depth })
    } else if (first && !first.string && first.text === 'message') {
      const depth = top.typeDepth
      if (depth > PROTO_NESTING_LIMIT) return nestedTooDeep(first)
      stack.push({ option: false, typeDepth: depth + 1, fieldDepth: depth + 1, optionDepth: 0 })
    } else if (tokens.slice(start, i).some(x => !x.string && x.text === 'group')) {
      const depth = top.fieldDepth
      if (depth > PROTO_NESTING_LIMIT) return nestedTooDeep(first ?? t)
      stack.push({ option: false, typeDepth: depth + 1, fieldDepth: depth + 1, optionDepth: 0 })
    } else {
      // oneof, extend, service, enum, rpc: their fields are counted as the enclosing scope's
      stack.push({ ...top, option: false })
    }
    start = i + 1
  }
  return undefined
}

function nestedTooDeep(at: ProtoPosition): ProtoDepthProblem {
  return {
    line: at.line,
    column: at.column,
    message: `messages and groups nested deeper than ${PROTO_NESTING_LIMIT} levels (protoc's limit too); declare the inner message at a shallower level and refer to it by name`,
  }
}
