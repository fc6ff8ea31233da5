import jsYaml from 'js-yaml'
import { conflictMessage, findConflictMarker } from '../core/conflict-markers.js'
import { NOT_SUBSET, readBlockSubset } from './block-subset.js'

export const MAX_FILE_BYTES = 1024 * 1024
export const MAX_ALIAS_COUNT = 100

export interface ReadProblem {
  rule: 'yaml/syntax' | 'yaml/unsafe'
  message: string
  line: number
  column: number
}

export interface ParsedText {
  /** Decoded text without a byte-order mark; undefined when the bytes could not be decoded. */
  text?: string
  data?: unknown
  problem?: ReadProblem
}

/** Why a YAML file of `size` bytes is refused. */
export function oversizeMessage(size: number): string {
  return `file is ${size.toLocaleString('en-US')} bytes; ssmd refuses YAML files over 1 MiB (${MAX_FILE_BYTES.toLocaleString('en-US')} bytes): split it or remove generated content`
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let last = -1
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    last = i
  }
  return { line, column: offset - last }
}

/** One decoder for every file (a decode without `stream` starts afresh). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true })

/** A file's text: strict UTF-8 with a byte-order mark dropped; undefined when it is not UTF-8 (parseYamlBytes says where). */
export function decodeYamlText(bytes: Uint8Array): string | undefined {
  let text: string
  try {
    text = STRICT_UTF8.decode(bytes)
  } catch {
    return undefined
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/**
 * Reads one YAML document safely: bounded size, strict UTF-8, YAML 1.2 core
 * schema (dates stay strings), no custom tags, one document, bounded aliases.
 * Never throws for bad input; the problem comes back located.
 */
export function parseYamlBytes(bytes: Uint8Array): ParsedText {
  if (bytes.length > MAX_FILE_BYTES) return { problem: { rule: 'yaml/unsafe', line: 1, column: 1, message: oversizeMessage(bytes.length) } }
  const text = decodeYamlText(bytes)
  if (text === undefined) {
    const lossy = new TextDecoder('utf-8').decode(bytes)
    const at = position(lossy, lossy.indexOf('\uFFFD'))
    return { problem: { rule: 'yaml/unsafe', ...at, message: 'file is not valid UTF-8; save it as UTF-8' } }
  }
  return parseYamlText(text)
}

export function parseYamlText(text: string): ParsedText {
  const nul = text.indexOf('\u0000')
  if (nul !== -1) {
    return { text, problem: { rule: 'yaml/unsafe', ...position(text, nul), message: 'file contains NUL bytes; it looks binary, not YAML' } }
  }
  // A file git left mid-merge may even parse (as the wrong values): the markers are the finding.
  const conflict = findConflictMarker(text)
  if (conflict) return { text, problem: { rule: 'yaml/syntax', line: conflict.line, column: conflict.column, message: conflictMessage(conflict) } }
  // Plain block YAML (nearly every ssmd file) is read a line at a time; anything else by js-yaml, with the same result.
  let data = readBlockSubset(text)
  if (data === NOT_SUBSET) {
    try {
      data = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, json: false })
    } catch (error) {
      return { text, problem: describeYamlError(error) }
    }
  }
  if (data !== null && typeof data === 'object' && hasAliases(text)) {
    const bomb = aliasProblem(text, data)
    if (bomb) return { text, problem: bomb }
  }
  return { text, data }
}

function describeYamlError(error: unknown): ReadProblem {
  if (error instanceof RangeError) {
    return { rule: 'yaml/unsafe', line: 1, column: 1, message: 'document is nested too deeply to read safely' }
  }
  const e = error as { reason?: string; message?: string; mark?: { line: number; column: number } }
  const reason = e.reason ?? e.message ?? String(error)
  const line = (e.mark?.line ?? 0) + 1
  const column = (e.mark?.column ?? 0) + 1
  const tag = /^unknown tag !<(.*)>/.exec(reason)
  if (tag) {
    const shown = tag[1].replace(/^tag:yaml\.org,2002:/, '!!')
    return { rule: 'yaml/unsafe', line, column, message: `custom YAML tag '${shown}' is not allowed; remove the tag and write a plain value` }
  }
  if (/expected a single document/.test(reason)) {
    return { rule: 'yaml/syntax', line, column, message: 'file holds more than one YAML document (---); keep one document per file' }
  }
  if (/duplicated mapping key/.test(reason)) {
    return { rule: 'yaml/syntax', line, column, message: 'duplicate key in a mapping; each key may appear once' }
  }
  if (/tab characters/.test(reason) || /\t/.test(reason)) {
    return { rule: 'yaml/syntax', line, column, message: `${reason}; indent with spaces, not tabs` }
  }
  return { rule: 'yaml/syntax', line, column, message: `invalid YAML: ${reason}` }
}

function hasAliases(text: string): boolean {
  return text.includes('&') && text.includes('*')
}

/** Offset of the first alias in the text, for the location of an alias problem. */
function firstAlias(text: string): number {
  const m = /(?:^|[\s[{,:-])\*[^\s,\]}]/m.exec(text)
  return m ? m.index + (m[0].startsWith('*') ? 0 : 1) : 0
}

/**
 * js-yaml shares aliased nodes (an alias is the same object as its anchor), so
 * the data graph is small even when the document it stands for is huge
 * ("billion laughs"), and an alias inside its own anchor makes a cycle. Every
 * rule walks the data as a tree: measure that tree exactly, by object identity,
 * and refuse a cycle or an expansion beyond the bound.
 */
function aliasProblem(text: string, data: unknown): ReadProblem | undefined {
  const limit = MAX_ALIAS_COUNT * 100
  const size = new Map<object, number>()
  const active = new Set<object>()
  let cycle = false
  let shared = 0
  const measure = (node: unknown): number => {
    if (node === null || typeof node !== 'object') return 1
    const known = size.get(node)
    if (known !== undefined) {
      shared += known
      return known
    }
    if (active.has(node)) {
      cycle = true
      return 1
    }
    active.add(node)
    let total = 1
    for (const child of Object.values(node)) {
      total += measure(child)
      if (cycle || shared > limit) break
    }
    active.delete(node)
    size.set(node, total)
    return total
  }
  measure(data)
  if (cycle) {
    return {
      rule: 'yaml/unsafe',
      ...position(text, firstAlias(text)),
      message: 'an alias refers to the node that contains it (a recursive structure); write the values out instead',
    }
  }
  if (shared > limit) {
    return {
      rule: 'yaml/unsafe',
      ...position(text, firstAlias(text)),
      message: 'aliases expand too much (possible "billion laughs" document); write the values out instead of nesting aliases',
    }
  }
  return undefined
}
