// A capture process's configuration from etcd (docs/deploy.md, "Getting started"):
// reads its environment, then follows every deploy and every dated feed switch.
//   SSMD_ETCD_ENDPOINTS=127.0.0.1:2379 SSMD_ETCD_USER=capture SSMD_ETCD_PASSWORD=… node capture-reader.mjs kalshi-dev
import { openEnvironment } from 'ssmd/runtime'

const reader = await openEnvironment(process.argv[2] ?? 'kalshi-dev').catch(error => {
  console.error(`capture: ${error.message}`)
  process.exit(1)
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => reader.close())

for await (const env of reader.watch()) {
  const { feed, transport } = env.content
  console.log(`${env.change}: ${env.name} ${feed.name} ${feed.version} ${feed.endpoint} -> ${transport.url} (commit ${env.record.commit?.slice(0, 12)})`)
  // A real process (re)starts its capture here with env.content.
}
