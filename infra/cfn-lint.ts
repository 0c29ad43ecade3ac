/**
 * Runs cfn-lint (Python, 1.x) on synthesized templates, each with its stack's region, using the
 * repository's .cfnlintrc.yaml, where every acknowledged warning carries its reason.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './runbooks';

export const CFN_LINT_CONFIG = join(REPO_ROOT, '.cfnlintrc.yaml');
export const CFN_LINT_INSTALL_HINT =
  'cfn-lint is not installed: install it with `pip install "cfn-lint>=1,<2"` (or `pipx install cfn-lint`) and run again.';

export type CfnLintLevel = 'Error' | 'Warning' | 'Informational';

export interface CfnLintFinding {
  readonly rule: string;
  readonly level: CfnLintLevel;
  readonly message: string;
  /** Path in the template, e.g. Resources/Foo/Properties/Bar. */
  readonly path: string;
  readonly template: string;
}

export interface CfnLintTemplate {
  readonly path: string;
  readonly region: string;
}

export interface CfnLintReport {
  /** False when cfn-lint could not be run; see hint. */
  readonly available: boolean;
  readonly version?: string;
  readonly hint?: string;
  readonly templates: readonly CfnLintTemplate[];
  readonly findings: readonly CfnLintFinding[];
}

interface RawMatch {
  Rule?: { Id?: string };
  Level?: string;
  Message?: string;
  Filename?: string;
  Location?: { Path?: (string | number)[] };
}

/** The first of `cfn-lint` and `python3 -m cfnlint` that answers. */
function findCommand(): { cmd: string; args: string[]; version: string } | undefined {
  for (const [cmd, args] of [
    ['cfn-lint', []],
    ['python3', ['-m', 'cfnlint']],
  ] as const) {
    const r = spawnSync(cmd, [...args, '--version'], { encoding: 'utf8' });
    if (r.status === 0) return { cmd, args: [...args], version: (r.stdout || r.stderr).trim() };
  }
  return undefined;
}

export interface CfnLintOptions {
  /**
   * Also run these checks that cfn-lint leaves out by default, e.g. ["I"] for the informational ones.
   * @default none
   */
  readonly includeChecks?: readonly string[];
}

/** Lints each template with its region. Never throws for findings; check `findings`. */
export function runCfnLint(
  templates: readonly CfnLintTemplate[],
  options: CfnLintOptions = {},
): CfnLintReport {
  const found = findCommand();
  if (!found) return { available: false, hint: CFN_LINT_INSTALL_HINT, templates, findings: [] };

  const findings: CfnLintFinding[] = [];
  for (const t of templates) {
    const r = spawnSync(
      found.cmd,
      [
        ...found.args,
        '--format',
        'json',
        '--config-file',
        CFN_LINT_CONFIG,
        '--regions',
        t.region,
        ...(options.includeChecks?.length ? ['--include-checks', ...options.includeChecks] : []),
        '--',
        t.path,
      ],
      { encoding: 'utf8', cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
    );
    // cfn-lint's exit code is a bit mask of the levels found; a crash prints no JSON.
    let matches: RawMatch[];
    try {
      matches = JSON.parse(r.stdout || '[]') as RawMatch[];
    } catch {
      throw new Error(`cfn-lint failed on ${t.path}: ${r.stderr || r.stdout}`);
    }
    for (const m of matches)
      findings.push({
        rule: m.Rule?.Id ?? '?',
        level: (m.Level ?? 'Error') as CfnLintLevel,
        message: m.Message ?? '',
        path: (m.Location?.Path ?? []).join('/'),
        template: t.path,
      });
  }
  return { available: true, version: found.version, templates, findings };
}
