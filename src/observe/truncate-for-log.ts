/**
 * Cuts a client-supplied string (a node id, a cluster name, a NACK's error text) to at most `max`
 * characters for a log line, saying how much was left out: a client must not be able to make every
 * stream open and close write kilobytes. Undefined and short strings pass through unchanged.
 */
export function truncateForLog<T extends string | undefined>(text: T, max = 256): T {
  if (text === undefined || text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)` as T;
}
