/**
 * Which network a pod is on (docs/podnetworks.md, "How a pod's network is
 * chosen"): the PodNetworks whose selectors match the pod and its namespace,
 * sorted by name, the first wins; none is the default network (`''`). The
 * reason says why in words, and is stored with the decision for people.
 *
 * A PodNetwork the parser refused takes no pod, but it must not let one go
 * to the default network by default either: when its selectors can still be
 * read and it would have won, the pod is not decided (`network: null`) until
 * the object is fixed or deleted. One whose selectors cannot be read cannot
 * say which pods it wants; the reason names it.
 */
import { type LabelSelector, matchesSelector, type PodNetworkRecord } from '@cello/records';

export interface PodFacts {
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  /** metadata.creationTimestamp, ms: an allocation made since then is this pod's sandbox's. */
  createdAt?: number;
}

/** A PodNetwork the parser refused: the refusal, and its selectors when those could still be read. */
export interface BrokenPodNetwork {
  name: string;
  error: string;
  selectors?: { podSelector?: LabelSelector; namespaceSelector?: LabelSelector };
}

/** `network: null`: not decided now (the reason says what it waits for). */
export type PodNetworkChoice = { network: string; reason: string } | { network: null; reason: string };

type Selectors = BrokenPodNetwork['selectors'] & {};

/** Which selectors matched, in words; undefined when the network does not take the pod. */
function matchedBy(s: Selectors, podLabels: Record<string, string>, namespaceLabels: Record<string, string>): string | undefined {
  const by: string[] = [];
  if (s.podSelector) {
    if (!matchesSelector(s.podSelector, podLabels)) return undefined;
    by.push('podSelector');
  }
  if (s.namespaceSelector) {
    if (!matchesSelector(s.namespaceSelector, namespaceLabels)) return undefined;
    by.push('namespaceSelector');
  }
  return by.length ? by.join(' and ') : undefined;
}

/** Names in words: `a`, `a and b`, `a, b and c`. */
function list(names: string[]): string {
  return names.length < 2 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** Byte order, whatever the locale: the same winner on every node. */
const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function choosePodNetwork(
  pod: PodFacts,
  namespaceLabels: Record<string, string>,
  networks: readonly PodNetworkRecord[],
  broken: readonly BrokenPodNetwork[] = [],
): PodNetworkChoice {
  const candidates = [
    ...networks.map((n) => ({ name: n.name, by: matchedBy(n.spec, pod.labels, namespaceLabels), broken: undefined })),
    ...broken.flatMap((b) => (b.selectors ? [{ name: b.name, by: matchedBy(b.selectors, pod.labels, namespaceLabels), broken: b }] : [])),
  ]
    .filter((c) => c.by)
    .sort(byName);
  const first = candidates[0];
  if (!first) {
    const unread = broken.filter((b) => !b.selectors).map((b) => b.name);
    const note = unread.length ? ` (${list(unread)} ${unread.length > 1 ? 'are' : 'is'} invalid with selectors that cannot be read, so not considered)` : '';
    return { network: '', reason: `no podnetwork matched${note}` };
  }
  if (first.broken) {
    return {
      network: null,
      reason: `podnetwork ${first.name} matches by ${first.by} but is invalid (${first.broken.error}); not decided until it is fixed or deleted`,
    };
  }
  if (candidates.length === 1) return { network: first.name, reason: `matched podnetwork ${first.name} by ${first.by}` };
  const names = candidates.map((c) => c.name);
  return { network: first.name, reason: `${list(names)} ${names.length === 2 ? 'both' : 'all'} matched; ${first.name} is first by name` };
}
