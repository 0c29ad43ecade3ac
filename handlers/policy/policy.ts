/**
 * The security-group policy: what ingress a group may keep (restrict) or must have (exact).
 * Parsed and checked once, before anything runs; everything downstream takes the parsed form.
 */
import * as z from 'zod';
import { parseOrThrow, show, ValidationError } from '../shared/validation';
import { parseCidr, type Cidr } from './cidr';
import { hasPortRange, isIcmp, parseProtocol, PROTOCOL_HELP } from './protocols';

export type PolicyMode = 'restrict' | 'exact';

/** An inclusive range of ports (or, for ICMP, of types). */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export type PolicySource =
  | { readonly kind: 'cidr'; readonly cidr: Cidr; readonly text: string }
  | { readonly kind: 'prefixListId'; readonly value: string }
  | { readonly kind: 'referencedGroupId'; readonly value: string }
  | { readonly kind: 'self' };

export interface PolicyEntry {
  /** As EC2 names it: tcp, udp, icmp, icmpv6, -1 or a number. */
  readonly protocol: string;
  /** Merged, sorted, disjoint. Undefined: every port (or ICMP type). */
  readonly ports?: readonly PortRange[];
  readonly from: readonly PolicySource[];
  /** Used on rules that exact mode adds. */
  readonly description?: string;
}

export interface ExemptTag {
  readonly tag: string;
  readonly value: string;
}

export interface SecurityGroupPolicy {
  readonly mode: PolicyMode;
  readonly ingress: readonly PolicyEntry[];
  readonly exempt: ExemptTag;
  /**
   * Set with an empty ingress list: the policy deliberately allows no inbound traffic, so every
   * inbound rule of every group that is not exempt is revoked. Without it, no ingress is refused.
   * @default false
   */
  readonly revokeAll?: boolean;
}

export const DEFAULT_EXEMPT_TAG: ExemptTag = { tag: 'first-responder:exempt', value: 'true' };

/** What EC2 accepts in a security-group rule's Description (API reference, IpRange). */
const RULE_DESCRIPTION = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;
const DESCRIPTION_HELP =
  'a rule description EC2 accepts: up to 255 characters from a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*';
const SOURCE_HELP =
  'valid: an IPv4 or IPv6 CIDR block (10.0.0.0/8, ::/0), a prefix-list ID (pl-…), a security-group ID (sg-…) or "self"';

function parsePortSpec(raw: string | number, max: number): PortRange | undefined {
  const text = String(raw).trim();
  const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from > to || to > max) return undefined;
  return { from, to };
}

/** Sorts and merges overlapping or adjacent ranges, so equal policies compare equal. */
export function mergeRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from || a.to - b.to);
  const out: PortRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1)
      out[out.length - 1] = { from: last.from, to: Math.max(last.to, r.to) };
    else out.push({ ...r });
  }
  return out;
}

function parseSource(raw: string): PolicySource | undefined {
  const text = raw.trim();
  if (text === 'self') return { kind: 'self' };
  if (/^pl-[0-9a-f]{8,17}$/.test(text)) return { kind: 'prefixListId', value: text };
  if (/^sg-[0-9a-f]{8,17}$/.test(text)) return { kind: 'referencedGroupId', value: text };
  const cidr = parseCidr(text);
  return cidr ? { kind: 'cidr', cidr, text } : undefined;
}

const entrySchema = z
  .object({
    protocol: z.union([z.string(), z.number()], {
      error: `a protocol name or number is required; ${PROTOCOL_HELP}`,
    }),
    ports: z
      .array(z.union([z.number(), z.string()]), {
        error: 'a list of ports: numbers or "from-to" strings',
      })
      .min(1, { error: 'list at least one port, or leave "ports" out to allow every port' })
      .optional(),
    from: z
      .array(z.string(), { error: `a list of sources; ${SOURCE_HELP}` })
      .min(1, { error: `list at least one source; ${SOURCE_HELP}` }),
    description: z
      .string({ error: DESCRIPTION_HELP })
      .max(255, { error: DESCRIPTION_HELP })
      .regex(RULE_DESCRIPTION, { error: DESCRIPTION_HELP })
      .optional(),
  })
  .strict()
  .transform((raw, ctx): PolicyEntry => {
    const protocol = parseProtocol(raw.protocol);
    if (protocol === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['protocol'],
        message: `got ${show(raw.protocol)}; ${PROTOCOL_HELP}`,
      });
      return z.NEVER;
    }
    let ports: PortRange[] | undefined;
    if (raw.ports) {
      if (!hasPortRange(protocol) && !isIcmp(protocol)) {
        ctx.addIssue({
          code: 'custom',
          path: ['ports'],
          message: `got ${show(raw.ports)} for protocol ${protocol}, which has no ports; remove "ports" (every port is allowed) or use tcp, udp, icmp or icmpv6`,
        });
        return z.NEVER;
      }
      const max = isIcmp(protocol) ? 255 : 65535;
      const what = isIcmp(protocol) ? 'an ICMP type' : 'a port';
      ports = [];
      // EC2 spells "every ICMP type" -1: a rule copied from EC2 means what leaving ports out does.
      let everyType = false;
      raw.ports.forEach((p, i) => {
        if (isIcmp(protocol) && String(p).trim() === '-1') {
          everyType = true;
          return;
        }
        const range = parsePortSpec(p, max);
        if (range) ports!.push(range);
        else
          ctx.addIssue({
            code: 'custom',
            path: ['ports', i],
            message: `got ${show(p)}; ${what} is a whole number from 0 to ${max}, or "from-to" with from <= to${isIcmp(protocol) ? ', or -1 for every type' : ''}`,
          });
      });
      ports = mergeRanges(ports);
      // Every ICMP type is one EC2 rule (-1), not 256 of them.
      const allTypes = ports.length === 1 && ports[0]!.from === 0 && ports[0]!.to === 255;
      if (everyType || (isIcmp(protocol) && allTypes)) ports = undefined;
    }
    const from: PolicySource[] = [];
    raw.from.forEach((s, i) => {
      const source = parseSource(s);
      if (source) from.push(source);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['from', i],
          message: `got ${show(s)}; ${SOURCE_HELP}`,
        });
    });
    return {
      protocol,
      ...(ports ? { ports } : {}),
      from,
      ...(raw.description ? { description: raw.description } : {}),
    };
  });

const policySchema = z
  .object({
    mode: z
      .enum(['restrict', 'exact'], {
        error: 'valid: "restrict" (keep the allowed part of current access) or "exact"',
      })
      .default('restrict'),
    ingress: z.array(entrySchema, { error: 'a list of allowed ingress entries' }),
    egress: z
      .unknown()
      .optional()
      .refine((v) => v === undefined, {
        error:
          'egress is not enforced yet; remove "egress" so that nothing is assumed to be checked that is not',
      }),
    revokeAll: z
      .boolean({
        error: 'true (with "ingress": [], meaning: revoke every inbound rule) or false',
      })
      .optional(),
    exempt: z
      .object({
        tag: z.string().min(1).max(128),
        value: z.string().max(256).default('true'),
      })
      .strict()
      .default(DEFAULT_EXEMPT_TAG),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.ingress.length === 0 && p.revokeAll !== true)
      ctx.addIssue({
        code: 'custom',
        path: ['ingress'],
        message: `got []; a policy with no ingress would revoke every inbound rule of every security group not tagged ${p.exempt.tag}=${p.exempt.value}: list the ingress to keep, or add "revokeAll": true if that is what you mean`,
      });
    if (p.ingress.length > 0 && p.revokeAll === true)
      ctx.addIssue({
        code: 'custom',
        path: ['revokeAll'],
        message: `got true with ${p.ingress.length} ingress entries; "revokeAll": true means no ingress at all, so "ingress" must be []: remove one or the other`,
      });
  });

/** Validates a policy already read into memory. Throws ValidationError naming each problem. */
export function parsePolicy(input: unknown): SecurityGroupPolicy {
  const p = parseOrThrow(policySchema, input, 'policy');
  return {
    mode: p.mode,
    ingress: p.ingress,
    exempt: p.exempt,
    ...(p.revokeAll ? { revokeAll: true } : {}),
  };
}

/** Reads a JSON policy document: the Lambda path, which does not need (or bundle) a YAML parser. */
export function parsePolicyJson(text: string, source = 'policy'): SecurityGroupPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ValidationError('policy', [`${source}: not JSON (${(err as Error).message})`], {
      cause: err,
    });
  }
  return parsePolicy(doc);
}
