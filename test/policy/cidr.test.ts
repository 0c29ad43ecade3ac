import { cidrContains, cidrIntersect, formatCidr, parseCidr } from '../../handlers/policy/cidr';

const c = (text: string) => {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`not a CIDR: ${text}`);
  return parsed;
};

describe('CIDR arithmetic', () => {
  it.each([
    ['192.168.0.1/31', '192.168.0.0/31'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['::/0', '::/0'],
    ['2001:DB8:0:0::1/64', '2001:db8::/64'],
    ['2001:db8:0:1:0:0:0:1/128', '2001:db8:0:1::1/128'],
    ['fe80::1/10', 'fe80::/10'],
    ['::ffff:10.0.0.1/128', '::ffff:a00:1/128'],
  ])('normalises %s to %s', (input, canonical) => {
    expect(formatCidr(c(input))).toBe(canonical);
  });

  it.each([
    '10.0.0.0',
    '10.0.0.0/33',
    '256.0.0.0/8',
    '10.0.0/8',
    '2001:db8::/129',
    '1::2::3/64',
    'sg-0123/8',
    '',
  ])('rejects %s', (input) => {
    expect(parseCidr(input)).toBeUndefined();
  });

  it.each<[string, string, string | undefined]>([
    ['0.0.0.0/0', '10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.0.0/16', '10.0.0.0/8', '10.1.0.0/16'],
    ['10.0.0.0/8', '192.168.0.0/16', undefined],
    ['0.0.0.0/0', '::/0', undefined],
    ['::/0', '2001:db8::/32', '2001:db8::/32'],
  ])('%s intersected with %s is %s', (a, b, expected) => {
    const both = cidrIntersect(c(a), c(b));
    expect(both && formatCidr(both)).toBe(expected);
  });

  it('containment is by network, not by spelling', () => {
    expect(cidrContains(c('192.168.0.0/31'), c('192.168.0.1/31'))).toBe(true);
    expect(cidrContains(c('10.0.0.0/8'), c('11.0.0.0/8'))).toBe(false);
  });
});
