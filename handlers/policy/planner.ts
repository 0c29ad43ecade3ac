/**
 * The planner: from a group's current ingress and a policy, the changes that make it compliant.
 * Pure: no AWS calls, same input gives the same plan.
 *
 * Every rule and every policy entry is a box (protocol x ports x sources). In restrict mode the
 * result is the union of the pairwise intersections of current rules with policy entries: exactly
 * the access the group already granted that the policy allows, nothing more and nothing less.
 * A rule that is wholly inside the policy stays untouched; a rule that is partly allowed is
 * revoked and its allowed pieces are authorized (narrowing, e.g. 0.0.0.0/0 -> 10.0.0.0/8).
 */
import { cidrContains, cidrIntersect, formatCidr, networkAt, parseCidr, type Cidr } from './cidr';
import type { PolicyEntry, PolicySource, SecurityGroupPolicy } from './policy';
import {
  canonicalSource,
  formatRule,
  hasPortRange,
  isIcmp,
  makeRule,
  ruleKey,
  type GroupSnapshot,
  type Rule,
  type Source,
} from './rules';

export interface PlannedChange {
  readonly rule: Rule;
  /** Why, in a sentence a responder can read on the incident timeline. */
  readonly reason: string;
}

export interface Plan {
  readonly groupId: string;
  /** True when there is nothing to change. */
  readonly compliant: boolean;
  readonly revoke: readonly PlannedChange[];
  readonly authorize: readonly PlannedChange[];
  /** The group's ingress once the plan is applied. */
  readonly after: readonly Rule[];
}

/** Protocol and ports of a rule, without its source. */
interface Span {
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
}

const cidrCache = new WeakMap<Source, Cidr | null>();
function cidrOf(source: Source): Cidr | undefined {
  if (source.kind !== 'cidrIpv4' && source.kind !== 'cidrIpv6') return undefined;
  let c = cidrCache.get(source);
  if (c === undefined) {
    c = parseCidr(source.value) ?? null;
    cidrCache.set(source, c);
  }
  return c ?? undefined;
}

/** The spans a policy entry allows, spelled as EC2 rules spell them. */
function entrySpans(entry: PolicyEntry): Span[] {
  const p = entry.protocol;
  if (hasPortRange(p))
    return (entry.ports ?? [{ from: 0, to: 65535 }]).map((r) => ({
      protocol: p,
      fromPort: r.from,
      toPort: r.to,
    }));
  if (isIcmp(p)) {
    if (!entry.ports) return [{ protocol: p, fromPort: -1, toPort: -1 }];
    // An ICMP rule names one type, so a range of types is one rule each.
    const out: Span[] = [];
    for (const r of entry.ports)
      for (let t = r.from; t <= r.to; t++) out.push({ protocol: p, fromPort: t, toPort: -1 });
    return out;
  }
  return [{ protocol: p, fromPort: -1, toPort: -1 }];
}

/** The part of a rule's protocol and ports that a policy entry allows. */
function intersectSpan(rule: Rule, entry: PolicyEntry): Span[] {
  if (entry.protocol === '-1') return [rule];
  if (rule.protocol === '-1') return entrySpans(entry);
  if (rule.protocol !== entry.protocol) return [];
  if (!entry.ports) return [rule];
  if (hasPortRange(rule.protocol)) {
    const out: Span[] = [];
    for (const r of entry.ports) {
      const from = Math.max(r.from, rule.fromPort);
      const to = Math.min(r.to, rule.toPort);
      if (from <= to) out.push({ protocol: rule.protocol, fromPort: from, toPort: to });
    }
    return out;
  }
  if (isIcmp(rule.protocol)) {
    if (rule.fromPort !== -1)
      return entry.ports.some((r) => r.from <= rule.fromPort && rule.fromPort <= r.to)
        ? [rule]
        : [];
    return entrySpans(entry);
  }
  return [rule];
}

/** The part of a rule's source that a policy source allows. */
function intersectSource(
  source: Source,
  allowed: PolicySource,
  groupId: string,
): Source | undefined {
  switch (allowed.kind) {
    case 'self':
      return source.kind === 'referencedGroupId' && source.value === groupId ? source : undefined;
    case 'prefixListId':
    case 'referencedGroupId':
      return source.kind === allowed.kind && source.value === allowed.value ? source : undefined;
    case 'cidr': {
      const c = cidrOf(source);
      if (!c) return undefined;
      const both = cidrIntersect(c, allowed.cidr);
      if (!both) return undefined;
      // Keep the rule's own spelling when nothing was cut, so the rule is recognised as kept.
      if (both.prefix === c.prefix) return source;
      return { kind: source.kind, value: formatCidr(both) };
    }
  }
}

function intersect(rule: Rule, entry: PolicyEntry, groupId: string): Rule[] {
  const spans = intersectSpan(rule, entry);
  if (spans.length === 0) return [];
  const out: Rule[] = [];
  for (const allowed of entry.from) {
    const source = intersectSource(rule.source, allowed, groupId);
    if (!source) continue;
    for (const s of spans)
      out.push(
        makeRule(s.protocol, s.fromPort, s.toPort, source, { description: rule.description }),
      );
  }
  return out;
}

function spanCovers(a: Span, b: Span): boolean {
  if (a.protocol === '-1') return true;
  if (a.protocol !== b.protocol) return false;
  if (hasPortRange(a.protocol)) return a.fromPort <= b.fromPort && b.toPort <= a.toPort;
  if (isIcmp(a.protocol))
    return (
      a.fromPort === -1 || (a.fromPort === b.fromPort && (a.toPort === -1 || a.toPort === b.toPort))
    );
  return true;
}

function sourceCovers(a: Source, b: Source): boolean {
  if (a.kind !== b.kind) return false;
  const ca = cidrOf(a);
  const cb = cidrOf(b);
  if (ca && cb) return cidrContains(ca, cb);
  return a.value === b.value;
}

/** True when every packet `b` admits, `a` admits too. */
export function ruleCovers(a: Rule, b: Rule): boolean {
  // Port arithmetic is cheaper than CIDR arithmetic: test it first.
  return spanCovers(a, b) && sourceCovers(a.source, b.source);
}

/** Whether one policy entry admits the whole rule: the common case, decided without allocating. */
function entryAdmits(entry: PolicyEntry, rule: Rule, groupId: string): boolean {
  if (entry.protocol !== '-1') {
    if (entry.protocol !== rule.protocol) return false;
    const ports = entry.ports;
    if (ports) {
      if (hasPortRange(rule.protocol)) {
        if (!ports.some((r) => r.from <= rule.fromPort && rule.toPort <= r.to)) return false;
      } else if (isIcmp(rule.protocol)) {
        if (
          rule.fromPort === -1 ||
          !ports.some((r) => r.from <= rule.fromPort && rule.fromPort <= r.to)
        )
          return false;
      }
    }
  }
  const source = rule.source;
  return entry.from.some((allowed) => {
    switch (allowed.kind) {
      case 'self':
        return source.kind === 'referencedGroupId' && source.value === groupId;
      case 'prefixListId':
      case 'referencedGroupId':
        return source.kind === allowed.kind && source.value === allowed.value;
      case 'cidr': {
        const c = cidrOf(source);
        return c !== undefined && cidrContains(allowed.cidr, c);
      }
    }
  });
}

/**
 * Merges adjacent or overlapping port ranges of pieces with the same protocol and source, so that
 * a rule allowed by two entries together is still recognised as wholly allowed.
 */
function mergePieces(pieces: Rule[]): Rule[] {
  if (pieces.length < 2) return pieces;
  const groups = new Map<string, Rule[]>();
  const rest: Rule[] = [];
  for (const p of pieces) {
    if (!hasPortRange(p.protocol)) {
      rest.push(p);
      continue;
    }
    const key = `${p.protocol}|${canonicalSource(p.source)}`;
    const list = groups.get(key);
    if (list) list.push(p);
    else groups.set(key, [p]);
  }
  const merged: Rule[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.fromPort - b.fromPort);
    let cur = list[0]!;
    for (const p of list.slice(1)) {
      if (p.fromPort <= cur.toPort + 1) cur = { ...cur, toPort: Math.max(cur.toPort, p.toPort) };
      else {
        merged.push(cur);
        cur = p;
      }
    }
    merged.push(cur);
  }
  return [...merged, ...rest];
}

/** How much a rule admits, for ordering only: a rule sorts before every rule it covers. */
function breadth(rule: Rule): [number, number] {
  let span: number;
  if (rule.protocol === '-1') span = Number.MAX_SAFE_INTEGER;
  else if (hasPortRange(rule.protocol)) span = rule.toPort - rule.fromPort + 1;
  else if (isIcmp(rule.protocol))
    span = rule.fromPort === -1 ? 65536 : rule.toPort === -1 ? 256 : 1;
  else span = 65536;
  return [span, cidrOf(rule.source)?.prefix ?? 0];
}

/**
 * Answers "does some rule already admit this one?" without scanning every rule: rules are filed by
 * source, CIDR sources by network, and a lookup tries each prefix length present (at most 129).
 */
class CoverIndex {
  private readonly bySource = new Map<string, Rule[]>();
  private readonly prefixes: Record<4 | 6, Set<number>> = { 4: new Set(), 6: new Set() };

  private static key(kind: string, c: Cidr | undefined, prefix: number, value: string): string {
    return c ? `${kind}/${prefix}/${networkAt(c, prefix).toString(36)}` : `${kind}:${value}`;
  }

  add(rule: Rule): void {
    const c = cidrOf(rule.source);
    const key = CoverIndex.key(rule.source.kind, c, c?.prefix ?? 0, rule.source.value);
    const list = this.bySource.get(key);
    if (list) list.push(rule);
    else this.bySource.set(key, [rule]);
    if (c) this.prefixes[c.family].add(c.prefix);
  }

  covers(rule: Rule): boolean {
    const c = cidrOf(rule.source);
    const kind = rule.source.kind;
    const hit = (key: string) => this.bySource.get(key)?.some((k) => spanCovers(k, rule)) ?? false;
    if (!c) return hit(CoverIndex.key(kind, undefined, 0, rule.source.value));
    for (const p of this.prefixes[c.family])
      if (p <= c.prefix && hit(CoverIndex.key(kind, c, p, ''))) return true;
    return false;
  }
}

/** Drops rules that a kept rule, or a broader (or earlier equal) candidate, already admits. */
function withoutRedundant(candidates: readonly Rule[], kept: readonly Rule[]): Set<Rule> {
  const index = new CoverIndex();
  for (const k of kept) index.add(k);
  const order = candidates
    .map((rule, i) => ({ rule, i, b: breadth(rule) }))
    .sort((x, y) => y.b[0] - x.b[0] || x.b[1] - y.b[1] || x.i - y.i);
  const keep = new Set<Rule>();
  for (const { rule } of order) {
    if (index.covers(rule)) continue;
    index.add(rule);
    keep.add(rule);
  }
  return keep;
}

function planRestrict(group: GroupSnapshot, entries: readonly PolicyEntry[]): Plan {
  const kept: Rule[] = [];
  const revoke: PlannedChange[] = [];
  const narrowed: { rule: Rule; from: Rule }[] = [];
  for (const rule of group.ingress) {
    if (entries.some((e) => entryAdmits(e, rule, group.groupId))) {
      kept.push(rule);
      continue;
    }
    const pieces = mergePieces(entries.flatMap((e) => intersect(rule, e, group.groupId)));
    if (pieces.some((p) => ruleCovers(p, rule))) {
      kept.push(rule);
      continue;
    }
    revoke.push({
      rule,
      reason:
        pieces.length === 0
          ? `${formatRule(rule)} is not allowed by the policy`
          : `${formatRule(rule)} allows more than the policy; narrowed to ${pieces.map(formatRule).join(', ')}`,
    });
    for (const p of pieces) narrowed.push({ rule: p, from: rule });
  }
  const keep = withoutRedundant(
    narrowed.map((n) => n.rule),
    kept,
  );
  const authorize = narrowed
    .filter((n) => keep.has(n.rule))
    .map((n) => ({
      rule: n.rule,
      reason: `the part of ${formatRule(n.from)} that the policy allows`,
    }));
  return finish(group.groupId, kept, revoke, authorize);
}

/** The rules an exact-mode policy requires, with `self` resolved to the group. */
export function requiredRules(entries: readonly PolicyEntry[], groupId: string): Rule[] {
  const out: Rule[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    for (const s of entrySpans(e)) {
      for (const from of e.from) {
        const source: Source =
          from.kind === 'self'
            ? { kind: 'referencedGroupId', value: groupId }
            : from.kind === 'cidr'
              ? {
                  kind: from.cidr.family === 4 ? 'cidrIpv4' : 'cidrIpv6',
                  value: formatCidr(from.cidr),
                }
              : { kind: from.kind, value: from.value };
        const rule = makeRule(s.protocol, s.fromPort, s.toPort, source, {
          description: e.description,
        });
        const key = ruleKey(rule);
        if (!seen.has(key)) {
          seen.add(key);
          out.push(rule);
        }
      }
    }
  }
  return out;
}

function planExact(group: GroupSnapshot, entries: readonly PolicyEntry[]): Plan {
  const required = requiredRules(entries, group.groupId);
  const requiredKeys = new Set(required.map(ruleKey));
  const currentKeys = new Set(group.ingress.map(ruleKey));
  const kept = group.ingress.filter((r) => requiredKeys.has(ruleKey(r)));
  const revoke = group.ingress
    .filter((r) => !requiredKeys.has(ruleKey(r)))
    .map((rule) => ({ rule, reason: `${formatRule(rule)} is not in the policy (exact mode)` }));
  const authorize = required
    .filter((r) => !currentKeys.has(ruleKey(r)))
    .map((rule) => ({
      rule,
      reason: `${formatRule(rule)} is required by the policy (exact mode)`,
    }));
  return finish(group.groupId, kept, revoke, authorize);
}

function finish(
  groupId: string,
  kept: readonly Rule[],
  revoke: readonly PlannedChange[],
  authorize: readonly PlannedChange[],
): Plan {
  return {
    groupId,
    compliant: revoke.length === 0 && authorize.length === 0,
    revoke,
    authorize,
    after: [...kept, ...authorize.map((a) => a.rule)],
  };
}

/** The plan for one group's ingress under a policy. */
export function planGroup(group: GroupSnapshot, policy: SecurityGroupPolicy): Plan {
  return policy.mode === 'exact'
    ? planExact(group, policy.ingress)
    : planRestrict(group, policy.ingress);
}

/**
 * Why the group is exempt ("tagged Key=Value"), or undefined when the policy applies. The value
 * is compared ignoring case, as the functions' IAM Deny does (StringEqualsIgnoreCase), so "True"
 * exempts in both places. Reads the tags only, so a caller may ask before reading the rules.
 */
export function exemptReason(
  group: GroupSnapshot,
  policy: SecurityGroupPolicy,
): string | undefined {
  const { tag, value } = policy.exempt;
  // Own keys only: a tag named "valueOf" must not find Object.prototype's method.
  const tagged = Object.hasOwn(group.tags, tag) ? group.tags[tag] : undefined;
  return tagged?.toLowerCase() === value.toLowerCase() ? `tagged ${tag}=${value}` : undefined;
}

/** The policy's verdict on one group: exempt (and why), else the plan. */
export type Judgement =
  | { readonly exempt: true; readonly reason: string }
  | { readonly exempt: false; readonly plan: Plan };

/**
 * Exemption first, then the plan: the one verdict the reverter, the Config rule, `plan` and the
 * drill all act on.
 */
export function judge(group: GroupSnapshot, policy: SecurityGroupPolicy): Judgement {
  const reason = exemptReason(group, policy);
  return reason === undefined
    ? { exempt: false, plan: planGroup(group, policy) }
    : { exempt: true, reason };
}
