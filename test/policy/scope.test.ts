/** Organization mode's scope: one mode per account, failing closed to observe. */
import { mayChange, resolveMode, type ScopeSettings } from '../../handlers/policy/scope';

const OU_PROD = 'ou-ab12-11111111';
const OU_DEV = 'ou-ab12-22222222';
const ROOT = 'r-ab12';
const SETTINGS: ScopeSettings = {
  targets: [
    { organizationalUnits: [OU_PROD], mode: 'approve' },
    { organizationalUnits: [OU_DEV], mode: 'enforce' },
    { accounts: ['333333333333'], mode: 'enforce' },
    { organizationalUnits: [ROOT], mode: 'observe' },
  ],
  excludeAccounts: ['444444444444'],
};

describe('resolveMode', () => {
  it.each([
    // [case, account, placement, mode, target]
    ['the nearest OU decides', '111111111111', [OU_DEV, ROOT], 'enforce', 1],
    ['an OU under the root', '111111111111', [OU_PROD, ROOT], 'approve', 0],
    ['a named account wins over its OU', '333333333333', [OU_PROD, ROOT], 'enforce', 2],
    [
      'an unlisted OU falls to the root target',
      '111111111111',
      ['ou-ab12-99999999', ROOT],
      'observe',
      3,
    ],
  ] as const)('Compliance %$: %s', (_, account, parents, mode, target) => {
    const d = resolveMode(SETTINGS, account, { found: true, parents });
    expect(d).toMatchObject({ account, mode, target });
  });

  it('Noncompliance 1: an excluded account is observed even under an enforce OU', () => {
    const d = resolveMode(SETTINGS, '444444444444', { found: true, parents: [OU_DEV, ROOT] });
    expect(d.mode).toBe('observe');
    expect(d.target).toBeUndefined();
    expect(d.reason).toMatch(/excluded.*fail closed/);
  });

  it('Noncompliance 2: a failed lookup gives observe, never enforce', () => {
    const d = resolveMode(SETTINGS, '111111111111', {
      found: false,
      reason: 'AccessDeniedException',
    });
    expect(d.mode).toBe('observe');
    expect(d.reason).toContain('AccessDeniedException');
  });

  it('Noncompliance 3: an account in no target is observed', () => {
    const narrow: ScopeSettings = { targets: [{ organizationalUnits: [OU_DEV], mode: 'enforce' }] };
    const d = resolveMode(narrow, '111111111111', { found: true, parents: [OU_PROD, ROOT] });
    expect(d.mode).toBe('observe');
    expect(d.reason).toContain(`${OU_PROD} < ${ROOT}`);
  });

  it('Noncompliance 4: without a lookup, only a named account is placed', () => {
    expect(resolveMode(SETTINGS, '111111111111', undefined).mode).toBe('observe');
    expect(resolveMode(SETTINGS, '333333333333', undefined).mode).toBe('enforce');
  });
});

describe('mayChange', () => {
  it.each([
    ['enforce', false, true],
    ['approve', false, false],
    ['approve', true, true],
    ['observe', true, false],
  ] as const)('%s with approved=%s changes: %s', (mode, approved, expected) => {
    expect(mayChange(mode, approved)).toBe(expected);
  });
});
