/**
 * What the last deploy of an environment wrote, rebuilt from git: the
 * environment rendered from the files of the record's commit as of its date,
 * accepted only when its digest is the one the record names. This tells which
 * fields a hand edit in etcd made even when git changed since that deploy.
 */
import { SsmdDocument, type EnvironmentDocument, type FeedDocument, type SchemaDocument } from '../workspace/document.js'
import { parseYamlBytes } from '../yaml/read.js'
import { contentJson, digestOf, type DeployRecord } from './layout.js'
import { renderEnvironment } from './render.js'
import { filesAtCommit } from './source.js'

/** The content value the record describes, or undefined when it cannot be rebuilt exactly. */
export async function recordedContent(root: string, name: string, record: DeployRecord): Promise<unknown> {
  // A dirty deploy was rendered from files no commit has.
  if (record.commit === null || record.dirty || !/^\d{4}-\d{2}-\d{2}$/.test(record.as_of)) return undefined
  const commit = record.commit
  const read = async <T>(kind: 'environment' | 'feed' | 'schema', folder: string, doc: string): Promise<SsmdDocument<T> | undefined> => {
    for (const ext of ['yaml', 'yml']) {
      const file = `${folder}/${doc}.${ext}`
      const bytes = (await filesAtCommit(root, commit, [file])).get(file)
      if (bytes !== undefined) return new SsmdDocument<T>(kind, doc, file, file, parseYamlBytes(bytes))
    }
    return undefined
  }
  try {
    const env = (await read('environment', 'environments', name)) as EnvironmentDocument | undefined
    const data = env?.isObject ? (env.data as { feed?: unknown; schema?: unknown }) : undefined
    if (!env || typeof data?.feed !== 'string' || typeof data.schema !== 'string') return undefined
    const feed = (await read('feed', 'feeds', data.feed)) as FeedDocument | undefined
    const schema = (await read('schema', 'schemas', data.schema.split(':')[0])) as SchemaDocument | undefined
    const json = contentJson(renderEnvironment({ env, ...(feed ? { feed } : {}), ...(schema ? { schema } : {}) }, record.as_of).content)
    return digestOf(json) === record.digest ? JSON.parse(json) : undefined
  } catch {
    // Files of that commit that do not render (they may not have validated then): not rebuilt.
    return undefined
  }
}
