/**
 * The rules for the inputs that reach commands cello runs as root: interface
 * names (CNI_IFNAME, an ENI's device) and netns paths (CNI_NETNS). Every tool
 * applies the same rule, so one that accepts a name can hand it to another.
 *
 * They end up in `ip -batch` lines, whose parser reads `#` as the start of a
 * comment, whitespace as a word break and a leading quote as quoting, and in
 * sysctl keys under /proc/sys. So they are accepted by a strict character
 * set, not by what the kernel would tolerate (Linux takes any byte but `/`,
 * `:` and whitespace in a device name): nothing a caller chooses is ever
 * syntax to `ip` or a shell. docs/cello-cni.md lists the rules and the
 * refusal codes.
 */

/** An interface name: 1–15 bytes of letters, digits, `_`, `.` and `-`, starting with a letter, digit or `_`. */
export const INTERFACE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
export const INTERFACE_NAME_RULE = '1 to 15 letters, digits, _ . or -, not starting with . or -';

/** Why `name` is not an acceptable interface name, or undefined when it is. */
export function interfaceNameProblem(name: string): string | undefined {
  if (name === '') return 'interface name is empty';
  if (INTERFACE_NAME.test(name)) return undefined;
  if (name.length > 15) return `interface name is too long (${name.length} > 15 characters)`;
  return `interface name ${JSON.stringify(name)} is not ${INTERFACE_NAME_RULE}`;
}

/** A netns path: absolute, of letters, digits and `_ . / : @ + = , -` (every runtime's paths are). */
export const NETNS_PATH = /^\/[A-Za-z0-9_./:@+=,-]{0,4095}$/;

/** Why `path` is not an acceptable netns path, or undefined when it is. */
export function netnsPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return `${JSON.stringify(path)} is not an absolute path`;
  if (!NETNS_PATH.test(path)) return `${JSON.stringify(path)} contains characters other than letters, digits and _ . / : @ + = , -`;
  return undefined;
}

const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
/** A DNS-1123 subdomain (the API server's rule for object names; at most 253 characters besides). */
export const DNS_SUBDOMAIN = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);

/** Why `name` is not a PodNetwork's name (a Kubernetes object name), or undefined when it is. It reaches ENI tags and the store. */
export function podNetworkNameProblem(name: string): string | undefined {
  if (DNS_SUBDOMAIN.test(name) && name.length <= 253) return undefined;
  return `${JSON.stringify(name)} is not a Kubernetes object name (a DNS subdomain: lower-case letters, digits, - and ., at most 253)`;
}
