import { COMMANDS } from '../../cli/command-table';
import { main, usage } from '../../cli/main';
import { capture } from './support';

afterEach(() => jest.restoreAllMocks());

describe('first-responder --help', () => {
  it.each([['--help'], ['-h'], ['help']])('%s prints the usage to stdout, exit 0', async (arg) => {
    const io = capture();
    expect(await main([arg])).toBe(0);
    expect(io.out.join('\n')).toBe(usage());
    expect(io.err).toEqual([]);
  });

  it('lists every command with its options; --profile and --region once, for the live ones', () => {
    const text = usage();
    for (const c of COMMANDS) expect(text).toContain(`\n  ${c.name} `);
    // The option the hand-written usage forgot.
    expect(text).toContain('[--interval SECONDS]');
    expect(text).toContain('live commands also take --profile NAME and --region REGION');
    expect(text.match(/--profile/g)).toHaveLength(1);
  });

  it('without a command, prints the usage to stderr and exits 2', async () => {
    const io = capture();
    expect(await main([])).toBe(2);
    expect(io.err.join('\n')).toBe(usage());
    expect(io.out).toEqual([]);
  });
});

describe.each(COMMANDS.map((c) => [c.name] as const))('first-responder %s --help', (name) => {
  it.each([[[name, '--help']], [[name, '-h']], [['help', name]]])(
    '%j prints its help to stdout, exit 0, and runs nothing',
    async (argv) => {
      const io = capture();
      expect(await main(argv)).toBe(0);
      expect(io.out).toHaveLength(1);
      expect(io.out[0]).toMatch(new RegExp(`^usage: first-responder ${name}\\b`));
      expect(io.out[0]).toContain('\noptions:\n');
      expect(io.err).toEqual([]);
    },
  );
});

describe('bad input: exit 2, one line on stderr, nothing on stdout', () => {
  it.each([
    [
      'an unknown command',
      ['deploy'],
      "first-responder deploy: unknown command 'deploy' (first-responder --help)",
    ],
    ['help on an unknown command', ['help', 'deploy'], "unknown command 'deploy'"],
    ['an unknown option', ['drill', '--verbose'], "Unknown option '--verbose'"],
    ['an option of another command', ['plan', '--tripwire'], "Unknown option '--tripwire'"],
    ['a missing value', ['validate', '--interval'], "Option '--interval <value>' argument missing"],
    [
      'restore without --incident or --ops-item',
      ['restore', '--yes'],
      'restore needs --incident ARN or --ops-item ID, exactly one of them',
    ],
    [
      'restore with both --incident and --ops-item',
      ['restore', '--incident', 'arn:x', '--ops-item', 'oi-0123456789ab'],
      'restore needs --incident ARN or --ops-item ID, exactly one of them',
    ],
    [
      'a bad value',
      ['validate', '--interval', '0'],
      '--interval: got "0"; a whole number of seconds from 1 to 300 (first-responder validate --help)',
    ],
  ])('%s', async (_name, argv, message) => {
    const io = capture();
    expect(await main(argv)).toBe(2);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).toContain(message);
    expect(io.err[0]).not.toContain('\n');
    expect(io.out).toEqual([]);
  });
});
