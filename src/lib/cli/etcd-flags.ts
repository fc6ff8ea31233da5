/** Flags shared by `deploy` and `deploy status`: where etcd is and how to talk to it. */
import { readFileSync, statSync } from 'node:fs'
import { Flags } from '@oclif/core'
import { UsageError } from '../core/errors.js'
import { hasControlChar } from '../core/text.js'
import { checkPrefix, DEFAULT_PREFIX } from '../deploy/layout.js'
import { parseEndpoints, type ConnectOptions } from '../deploy/etcd.js'
import { resolveTarget, type Target } from '../deploy/targets.js'
import { maskInOutput } from './output-gate.js'

/** The variable the etcd password is read from: never a flag (it would show in `ps` and shell history). */
export const PASSWORD_VARIABLE = 'SSMD_ETCD_PASSWORD'

export const etcdFlags = {
  target: Flags.string({ summary: 'Named target from ssmd.yaml or .ssmd/config.yaml (targets: {NAME: {etcd, prefix, ca, cert, key, user}}); flags given win.' }),
  etcd: Flags.string({ summary: 'etcd endpoints, comma-separated: host:port, http://host:port or https://host:port.', env: 'SSMD_ETCD_ENDPOINTS' }),
  prefix: Flags.string({ summary: `Key prefix everything is written under (default ${DEFAULT_PREFIX}).` }),
  cacert: Flags.string({ summary: 'CA certificate (PEM) to verify the etcd servers with; turns TLS on.' }),
  cert: Flags.string({ summary: 'Client certificate (PEM) for TLS client authentication; needs --key.' }),
  key: Flags.string({ summary: 'Private key (PEM) of --cert.' }),
  user: Flags.string({ summary: `etcd user; the password is read from ${PASSWORD_VARIABLE}.`, env: 'SSMD_ETCD_USER' }),
  'dial-timeout': Flags.string({ summary: 'Seconds allowed to reach etcd before giving up.', default: '5' }),
}

const MAX_PEM = 1024 * 1024

/** `label`: where the path came from, as said in an error (`--cacert`, `target 'prod' ca`). */
function readPem(label: string, path: string): Buffer {
  let size: number
  try {
    const st = statSync(path)
    if (!st.isFile()) throw new UsageError(`${label} ${path} is not a file`)
    size = st.size
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`${label} ${path}: no such file`)
  }
  if (size > MAX_PEM) throw new UsageError(`${label} ${path} is larger than 1 MiB; expected a PEM file`)
  const bytes = readFileSync(path)
  if (!bytes.toString('latin1').includes('-----BEGIN ')) throw new UsageError(`${label} ${path} is not a PEM file (no '-----BEGIN' line)`)
  return bytes
}

export interface EtcdFlagValues {
  target?: string
  etcd?: string
  prefix?: string
  cacert?: string
  cert?: string
  key?: string
  user?: string
  'dial-timeout': string
}

/**
 * Flag values (and the password variable) checked and turned into connection
 * options. With --target, the target's fields (ssmd.yaml, .ssmd/config.yaml
 * under `root`) fill in what the flags do not give.
 */
export function connectOptions(given: EtcdFlagValues, env: NodeJS.ProcessEnv = process.env, root?: string): { prefix: string; options: ConnectOptions } {
  // The password, wherever it came from, is masked in all output, whatever quotes it (an error echoing a flag, a server's message).
  if (env[PASSWORD_VARIABLE]) maskInOutput(env[PASSWORD_VARIABLE])
  if (given.user?.includes(':')) maskInOutput(given.user.slice(given.user.indexOf(':') + 1))
  const target = given.target === undefined ? undefined : resolveTarget(root ?? process.cwd(), given.target)
  if (target?.user?.includes(':')) maskInOutput(target.user.slice(target.user.indexOf(':') + 1))
  const from = (flag: 'etcd' | 'prefix' | 'cacert' | 'cert' | 'key' | 'user', field: keyof Target) =>
    given[flag] !== undefined
      ? { value: given[flag], label: `--${flag}` }
      : target?.[field] !== undefined
        ? { value: target[field], label: `target '${given.target}' ${field}` }
        : undefined
  const etcd = from('etcd', 'etcd')
  if (etcd === undefined)
    throw new UsageError(
      `say where etcd is: --etcd ENDPOINTS, the SSMD_ETCD_ENDPOINTS variable, or --target NAME${given.target === undefined ? '' : ` with an etcd field (target '${given.target}' has none)`}`,
    )
  const flags = {
    etcd: etcd.value,
    prefix: from('prefix', 'prefix')?.value ?? DEFAULT_PREFIX,
    cacert: from('cacert', 'ca'),
    cert: from('cert', 'cert'),
    key: from('key', 'key'),
    user: from('user', 'user')?.value,
    'dial-timeout': given['dial-timeout'],
  }
  const prefix = checkPrefix(flags.prefix)
  const endpoints = parseEndpoints(flags.etcd)
  const dial = Number(flags['dial-timeout'])
  if (!/^\d+(\.\d+)?$/.test(flags['dial-timeout']) || !(dial > 0) || dial > 300) {
    throw new UsageError(`--dial-timeout '${flags['dial-timeout']}' must be a number of seconds between 0 and 300, e.g. 5`)
  }
  const tlsWanted = flags.cacert !== undefined || flags.cert !== undefined || flags.key !== undefined
  if (tlsWanted && endpoints.some(e => e.scheme === 'http')) throw new UsageError('--cacert, --cert and --key need TLS, but --etcd names an http:// endpoint; use https://')
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new UsageError('--cert and --key go together: pass both or neither')
  const tls = tlsWanted
    ? {
        ...(flags.cacert === undefined ? {} : { ca: readPem(flags.cacert.label, flags.cacert.value) }),
        ...(flags.cert === undefined ? {} : { cert: readPem(flags.cert.label, flags.cert.value) }),
        ...(flags.key === undefined ? {} : { key: readPem(flags.key.label, flags.key.value) }),
      }
    : undefined
  let auth: ConnectOptions['auth']
  if (flags.user !== undefined) {
    const colon = flags.user.indexOf(':')
    if (colon !== -1) {
      // etcdctl's `user:password`: refused, naming the user only.
      const user = flags.user.slice(0, colon)
      throw new UsageError(
        `--user holds a password after ':' (etcdctl's user:password form); ssmd reads the etcd password only from ${PASSWORD_VARIABLE}, so that it never shows in ps or shell history: pass --user ${user === '' || hasControlChar(user) ? '<user>' : user} and set ${PASSWORD_VARIABLE}`,
      )
    }
    if (flags.user === '' || hasControlChar(flags.user)) throw new UsageError('--user must be a non-empty user name')
    const password = env[PASSWORD_VARIABLE]
    if (password === undefined || password === '')
      throw new UsageError(`--user ${flags.user} needs its password in the environment variable ${PASSWORD_VARIABLE} (it is never taken as a flag)`)
    auth = { username: flags.user, password }
  }
  const dialTimeoutMs = Math.round(dial * 1000)
  return { prefix, options: { endpoints, dialTimeoutMs, requestTimeoutMs: Math.max(dialTimeoutMs, 10000), ...(tls ? { tls } : {}), ...(auth ? { auth } : {}) } }
}
