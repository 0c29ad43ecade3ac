import { parsePolicy } from '../../handlers/policy/policy';
import { loadPolicyFile, parsePolicyText } from '../../handlers/policy/policy-file';
import { ValidationError } from '../../handlers/shared/validation';
import { join } from 'node:path';

describe('security-group policy', () => {
  it('reads the example policy with restrict mode and the default exempt tag', () => {
    const p = loadPolicyFile(join(__dirname, '..', '..', 'examples', 'policy.json'));
    expect(p.mode).toBe('restrict');
    expect(p.exempt).toEqual({ tag: 'first-responder:exempt', value: 'true' });
    expect(p.ingress[0]?.ports).toEqual([
      { from: 80, to: 80 },
      { from: 443, to: 443 },
    ]);
  });

  it('defaults mode to restrict and the exempt tag when left out', () => {
    const p = parsePolicy({ ingress: [{ protocol: 'tcp', ports: [443], from: ['0.0.0.0/0'] }] });
    expect(p).toMatchObject({
      mode: 'restrict',
      exempt: { tag: 'first-responder:exempt', value: 'true' },
    });
  });

  it('reads YAML as well as JSON', () => {
    const p = parsePolicyText(
      'mode: exact\ningress:\n  - protocol: tcp\n    ports: ["8000-8080", 22]\n    from: [self]\n',
    );
    expect(p.ingress[0]).toMatchObject({
      protocol: 'tcp',
      ports: [
        { from: 22, to: 22 },
        { from: 8000, to: 8080 },
      ],
      from: [{ kind: 'self' }],
    });
  });

  it.each<[string, unknown]>([
    ['protocol numbers (6 is tcp)', { protocol: 6, from: ['10.0.0.0/8'] }],
    ['protocol "all" as -1', { protocol: 'all', from: ['10.0.0.0/8'] }],
    ['ESP by number', { protocol: '50', from: ['10.0.0.0/8'] }],
    ['ICMP types', { protocol: 'icmp', ports: [8, '0'], from: ['10.0.0.0/8'] }],
    [
      'prefix lists and groups',
      { protocol: 'tcp', from: ['pl-0123456789abcdef0', 'sg-0123456789abcdef0', 'self'] },
    ],
    ['IPv6', { protocol: 'tcp', ports: [443], from: ['::/0', '2001:db8::/32'] }],
  ])('accepts %s', (_name, entry) => {
    expect(() => parsePolicy({ ingress: [entry] })).not.toThrow();
  });

  it.each<[string, unknown]>([
    ['-1', -1],
    ['"-1"', '-1'],
    ['-1 beside a type', [8, -1]],
  ])("reads EC2's spelling of every ICMP type, %s, as every type", (_what, ports) => {
    // GIVEN a rule copied from EC2, and the same rule without ports
    const copied = parsePolicy({
      ingress: [{ protocol: 'icmp', ports: [ports].flat(), from: ['10.0.0.0/8'] }],
    });
    const every = parsePolicy({ ingress: [{ protocol: 'icmp', from: ['10.0.0.0/8'] }] });
    // THEN they are the same policy
    expect(copied).toEqual(every);
    expect(copied.ingress[0]!.ports).toBeUndefined();
  });

  it.each<[string, unknown, RegExp]>([
    [
      'fails on -1 as a tcp port, where EC2 does not take it',
      { ingress: [{ protocol: 'tcp', ports: [-1], from: ['10.0.0.0/8'] }] },
      /policy.ingress\[0\].ports\[0\]: got -1; a port is a whole number from 0 to 65535, or "from-to" with from <= to$/,
    ],
    [
      'fails on a bad CIDR',
      { ingress: [{ protocol: 'tcp', from: ['10.0.0.0/33'] }] },
      /policy.ingress\[0\].from\[0\]: got "10.0.0.0\/33"; valid: an IPv4 or IPv6 CIDR block/,
    ],
    [
      'fails on a host without a prefix',
      { ingress: [{ protocol: 'tcp', from: ['10.0.0.1'] }] },
      /from\[0\]: got "10.0.0.1"/,
    ],
    [
      'fails on a port out of range',
      { ingress: [{ protocol: 'tcp', ports: [70000], from: ['10.0.0.0/8'] }] },
      /policy.ingress\[0\].ports\[0\]: got 70000; a port is a whole number from 0 to 65535/,
    ],
    [
      'fails on a reversed range',
      { ingress: [{ protocol: 'tcp', ports: ['90-80'], from: ['10.0.0.0/8'] }] },
      /ports\[0\]: got "90-80"/,
    ],
    [
      'fails on an unknown protocol',
      { ingress: [{ protocol: 'sctp', from: ['10.0.0.0/8'] }] },
      /policy.ingress\[0\].protocol: got "sctp"; valid: tcp, udp, icmp, icmpv6, -1/,
    ],
    [
      'fails on ports for protocol -1',
      { ingress: [{ protocol: '-1', ports: [22], from: ['10.0.0.0/8'] }] },
      /ports: got \[22\] for protocol -1, which has no ports/,
    ],
    [
      'fails on an ICMP type above 255',
      { ingress: [{ protocol: 'icmp', ports: [300], from: ['10.0.0.0/8'] }] },
      /an ICMP type is a whole number from 0 to 255, or "from-to" with from <= to, or -1 for every type/,
    ],
    [
      'fails on exact mode with nothing in it',
      { mode: 'exact', ingress: [] },
      /policy.ingress: got \[\]; a policy with no ingress would revoke every inbound rule/,
    ],
    [
      'fails on an unknown mode',
      { mode: 'strict', ingress: [] },
      /policy.mode: got "strict"; valid: "restrict"/,
    ],
    [
      'fails on no sources',
      { ingress: [{ protocol: 'tcp', from: [] }] },
      /policy.ingress\[0\].from: got \[\]; list at least one source/,
    ],
    [
      'fails on egress, which is not enforced yet',
      { ingress: [], egress: [] },
      /policy.egress: .*egress is not enforced yet/,
    ],
    ['fails on a missing ingress', { mode: 'restrict' }, /policy.ingress: got nothing/],
    ['fails on an unknown field', { ingress: [], ingres: [], revokeAll: true }, /ingres/],
  ])('%s', (_name, input, message) => {
    expect(() => parsePolicy(input)).toThrow(ValidationError);
    expect(() => parsePolicy(input)).toThrow(message);
  });

  it('fails on text that is neither JSON nor YAML, naming the source', () => {
    expect(() => parsePolicyText('{ "mode": ', 'my-policy.json')).toThrow(
      /my-policy.json: not JSON or YAML/,
    );
  });

  it('fails on a missing file, naming the path', () => {
    expect(() => loadPolicyFile('/nonexistent/policy.json')).toThrow(
      /cannot read \/nonexistent\/policy.json/,
    );
  });

  it('lists every problem at once, not only the first', () => {
    try {
      parsePolicy({ ingress: [{ protocol: 'tcp', ports: [70000], from: ['bad'] }] });
      throw new Error('expected a ValidationError');
    } catch (err) {
      expect((err as ValidationError).problems).toHaveLength(2);
    }
  });

  describe('no ingress at all', () => {
    it('is refused unless the policy says revokeAll, saying what it would do', () => {
      // GIVEN a restrict policy with no entries WHEN parsed THEN refused, naming the consequence
      expect(() => parsePolicy({ ingress: [] })).toThrow(
        /policy.ingress: got \[\]; a policy with no ingress would revoke every inbound rule of every security group not tagged first-responder:exempt=true: .*"revokeAll": true/,
      );
    });

    it.each(['restrict', 'exact'])('is read in %s mode with "revokeAll": true', (mode) => {
      expect(parsePolicy({ mode, ingress: [], revokeAll: true })).toMatchObject({
        ingress: [],
        revokeAll: true,
      });
    });

    it('refuses revokeAll beside ingress entries', () => {
      expect(() =>
        parsePolicy({ ingress: [{ protocol: '-1', from: ['self'] }], revokeAll: true }),
      ).toThrow(/policy.revokeAll: got true with 1 ingress entries/);
    });
  });

  it.each<[string, unknown, string]>([
    ['"06" is tcp', '06', 'tcp'],
    ['"017" is udp', '017', 'udp'],
    ['"050" is 50', '050', '50'],
  ])('reads protocol %s', (_name, protocol, expected) => {
    const p = parsePolicy({ ingress: [{ protocol, from: ['10.0.0.0/8'] }] });
    expect(p.ingress[0]?.protocol).toBe(expected);
  });

  it('reads ICMP types 0-255 as one rule for every type, not 256 rules', () => {
    const p = parsePolicy({ ingress: [{ protocol: 'icmp', ports: ['0-255'], from: ['self'] }] });
    expect(p.ingress[0]?.ports).toBeUndefined();
    const partial = parsePolicy({
      ingress: [{ protocol: 'icmp', ports: ['0-254'], from: ['self'] }],
    });
    expect(partial.ingress[0]?.ports).toEqual([{ from: 0, to: 254 }]);
  });

  it.each<[string, string, boolean]>([
    ["EC2's own punctuation", 'web (prod) #1: 10.0.0.0/8 @team [a]+b=c&d;{e}!$*,_-', true],
    ['255 characters', 'a'.repeat(255), true],
    ['256 characters', 'a'.repeat(256), false],
    ['a quote', "it's", false],
    ['a newline', 'a\nb', false],
    ['non-ASCII letters', 'café', false],
  ])('descriptions: %s is %s', (_name, description, ok) => {
    const input = { ingress: [{ protocol: 'tcp', ports: [22], from: ['self'], description }] };
    if (ok) expect(parsePolicy(input).ingress[0]?.description).toBe(description);
    else
      expect(() => parsePolicy(input)).toThrow(
        /policy.ingress\[0\].description: .*a rule description EC2 accepts/,
      );
  });

  describe('YAML', () => {
    it('is YAML 1.2: 022 is 22, not octal 18', () => {
      const p = parsePolicyText(
        'ingress:\n  - protocol: tcp\n    ports: [022]\n    from: [self]\n',
      );
      expect(p.ingress[0]?.ports).toEqual([{ from: 22, to: 22 }]);
    });

    it.each<[string, string, RegExp]>([
      [
        'an unknown tag',
        'mode: !foo restrict\ningress: []\nrevokeAll: true\n',
        /p.yaml: Unresolved tag: !foo .*remove it/,
      ],
      [
        'a YAML 1.1 directive',
        '%YAML 1.1\n---\ningress: []\nrevokeAll: true\n',
        /p.yaml: %YAML 1.1 is not read/,
      ],
      ['!!binary', 'mode: !!binary aGk=\n', /p.yaml: Unresolved tag/],
      [
        'a duplicate key',
        'ingress: []\ningress: []\n',
        /p.yaml: not JSON or YAML \(Map keys must be unique/,
      ],
    ])('refuses %s', (_name, text, message) => {
      expect(() => parsePolicyText(text, 'p.yaml')).toThrow(message);
    });
  });

  it('echoes a huge value cut short, and names the first few of many problems with a count', () => {
    const from = [`${'9'.repeat(5_000_000)}`, ...Array.from({ length: 10 }, (_, i) => `bad${i}`)];
    let err: ValidationError | undefined;
    try {
      parsePolicy({ ingress: [{ protocol: 'tcp', from }] });
    } catch (e) {
      err = e as ValidationError;
    }
    expect(err?.problems).toHaveLength(11);
    expect(err?.summary.length).toBeLessThan(1500);
    expect(err?.summary).toMatch(/; … and 6 more problems$/);
    expect(err?.summary).not.toContain('\n');
  });
});
