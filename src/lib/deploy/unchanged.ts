/**
 * An environment whose deploy record proves that it renders what etcd holds
 * needs no rendering: deploy, its dry run and deploy status skip it, and a
 * redeploy of an unchanged fleet renders nothing. The record names the
 * commit, the date and the ssmd version of the rendering it describes; when
 * none of the files the environment is made of changed since that commit
 * (neither in the commits since nor in the working tree), the same ssmd
 * renders the same bytes — on another date too when its feed renders the same
 * on both dates. Anything else (a dirty deploy, a commit this clone does not
 * have, another ssmd version) is rendered and compared as before.
 */
import type { DeployRecord } from './layout.js'
import type { EnvState } from './plan.js'
import { changedBetween } from './source.js'
import type { SourceInfo } from './render.js'

/** What a check needs of one environment: its files, and whether its feed renders the same on another date. */
export interface Recordable {
  /** The files the environment is made of (Prepared.files). */
  files: readonly string[]
  /** Whether its feed renders the same as of `date` as as of the run's date. */
  sameFeedOn(date: string): boolean
}

export class RecordCheck {
  private readonly changedNow: ReadonlySet<string>
  /** Files changed since each record's commit (few distinct commits in a fleet): undefined when it cannot be told. */
  private readonly since = new Map<string, Promise<Set<string> | undefined>>()

  constructor(
    private readonly root: string,
    private readonly source: SourceInfo,
    private readonly asOf: string,
    private readonly ssmdVersion: string,
  ) {
    this.changedNow = new Set(source.changed)
  }

  /**
   * True when etcd holds exactly what the environment renders, told from its
   * record: the content is the one the record names (by digest), nothing else
   * is under its prefix, and the rendering is the record's (see above).
   * False means "render it and compare", never "it changed".
   */
  async unchanged(state: EnvState | undefined, record: DeployRecord | undefined, env: Recordable): Promise<boolean> {
    if (!state?.content || state.others.length > 0 || !record || record.digest === '' || state.content.digest !== record.digest) return false
    const head = this.source.commit
    if (head === null || record.commit === null || record.dirty || record.ssmd_version !== this.ssmdVersion) return false
    if (env.files.some(f => this.changedNow.has(f))) return false
    if (record.commit !== head) {
      let changed = this.since.get(record.commit)
      if (!changed) {
        changed = changedBetween(this.root, record.commit, head)
        this.since.set(record.commit, changed)
      }
      const files = await changed
      if (files === undefined || env.files.some(f => files.has(f))) return false
    }
    return record.as_of === this.asOf || (/^\d{4}-\d{2}-\d{2}$/.test(record.as_of) && env.sameFeedOn(record.as_of))
  }
}
