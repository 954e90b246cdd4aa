/**
 * Browser origin allow-list. Entries are exact origins, or end in ":*" to
 * allow any port of that scheme and host. Non-browser clients send no Origin
 * and are judged by the rest of the handshake.
 */
export function createOriginCheck(allowed: readonly string[]): (origin: string | undefined) => boolean {
  const exact = new Set(allowed.filter((entry) => !entry.endsWith(':*')));
  const anyPort = allowed.filter((entry) => entry.endsWith(':*')).map((entry) => entry.slice(0, -2));
  return (origin) => {
    if (origin === undefined) return true;
    if (exact.has(origin)) return true;
    const withoutPort = origin.replace(/:\d+$/, '');
    return anyPort.includes(withoutPort);
  };
}
