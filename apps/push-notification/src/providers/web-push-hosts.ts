/**
 * Which push services a Web Push endpoint may point at. The endpoint URL comes from the
 * client and the server POSTs to it, so without a list any device could make the server
 * send requests into its own network (blind SSRF). The default is the browsers' push
 * services; self-hosted ones (UnifiedPush, ntfy) are added by name, `*` allows any host.
 */

/** Chrome/Android, Firefox, Safari, Edge. */
export const DEFAULT_WEB_PUSH_HOSTS = [
  'fcm.googleapis.com',
  'updates.push.services.mozilla.com',
  'web.push.apple.com',
  '*.notify.windows.com',
] as const;

/** `host` or `*.domain` (any subdomain of domain), lower case; `*` alone allows any host. */
export const HOST_PATTERN = /^(\*|(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*|\d{1,3}(\.\d{1,3}){3})$/;

export function isAllowedPushHost(endpoint: string, patterns: readonly string[]): boolean {
  let host: string;
  try {
    const url = new URL(endpoint);
    if (url.protocol !== 'https:') return false;
    host = url.hostname.toLowerCase();
  } catch {
    return false;
  }
  return patterns.some((pattern) => {
    if (pattern === '*') return true;
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
    return host === pattern;
  });
}
