/**
 * Plain HTTP is allowed only on loopback: the local emulator and test identity provider listen on
 * 127.0.0.1, while real workspaces and identity providers are HTTPS. One definition, used by the
 * settings (DATABRICKS_HOST, DATABRICKS_DISCOVERY_URL) and by every URL discovery hands us.
 */
const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTNAMES.has(url.hostname);
}

/** https anywhere, http only on loopback. */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url));
}

/**
 * A URL as it may appear in an error or a log line: scheme, host and path only. User info and the
 * query string are dropped, since either could carry a credential.
 */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
