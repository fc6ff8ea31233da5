export interface GeneratedRepo {
  root: string
  n: number
  feeds: string[]
  schemas: string[]
  environments: string[]
  capnpFiles: number
  yamlFiles: number
}

export function generateRepo(dir: string, n: number, options?: { git?: boolean; seed?: number }): GeneratedRepo

export function gitEnv(extra?: Record<string, string>): NodeJS.ProcessEnv
