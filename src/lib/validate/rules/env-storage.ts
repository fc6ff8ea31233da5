import { builtinRule, isObj, type Obj } from './util.js'

export default builtinRule({
  meta: {
    id: 'env/storage',
    severity: 'error',
    scope: 'file',
    description: 'local storage has an absolute path; s3 storage has a bucket and a region.',
    messages: {
      missingPath: 'local storage needs a path (an absolute folder, e.g. /var/lib/ssmd/data)',
      relativePath: "storage path '{{path}}' is not absolute; start it with /",
      s3Missing: 's3 storage needs a {{key}}',
    },
  },
  environment(doc, ctx) {
    const s = (doc.data as Obj).storage
    if (!isObj(s)) return
    if (s.type === 'local') {
      if (s.path === undefined) ctx.report({ path: '/storage', at: 'key', messageId: 'missingPath' })
      else if (typeof s.path === 'string' && !s.path.startsWith('/')) ctx.report({ path: '/storage/path', messageId: 'relativePath', data: { path: s.path } })
    } else if (s.type === 's3') {
      for (const key of ['bucket', 'region']) if (s[key] === undefined) ctx.report({ path: '/storage', at: 'key', messageId: 's3Missing', data: { key } })
    }
  },
})
