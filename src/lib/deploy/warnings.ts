/**
 * gRPC sets the TLS ServerName (SNI) to the endpoint's host even when it is an
 * IP address, which Node.js answers with a DEP0123 deprecation warning on
 * stderr for every TLS deploy to `https://10.0.0.5:2379`. SNI is simply not
 * sent for an IP address (RFC 6066), so the warning tells an operator nothing:
 * it is dropped — that one warning only; every other warning still prints.
 */
let installed = false

export function dropServerNameWarning(): void {
  if (installed) return
  installed = true
  const emit = process.emitWarning
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const [typeOrOptions, code] = rest
    const given = typeof typeOrOptions === 'object' && typeOrOptions !== null ? (typeOrOptions as { code?: unknown }).code : code
    if (given === 'DEP0123' || (warning instanceof Error && (warning as Error & { code?: unknown }).code === 'DEP0123')) return
    ;(emit as (...args: unknown[]) => void).call(process, warning, ...rest)
  } as typeof process.emitWarning
}
