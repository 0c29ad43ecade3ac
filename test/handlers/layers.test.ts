/**
 * The layers of handlers/ keep their promise: every import goes down (or across), never up.
 *   entries (handlers/*.ts) -> workflows (respond/) -> adapters (aws/) -> pure (policy/,
 *   incident/, intake/) -> shared (shared/)
 * and only the adapters load an AWS SDK client (types may be named anywhere).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import * as ts from 'typescript';

const HANDLERS = join(__dirname, '..', '..', 'handlers');

/** Lowest first: a file may import from its own layer and the ones before it. */
const LAYERS = ['shared', 'pure', 'adapters', 'workflows', 'entries'] as const;
type Layer = (typeof LAYERS)[number];

const FOLDERS: Readonly<Record<string, Layer>> = {
  shared: 'shared',
  policy: 'pure',
  incident: 'pure',
  intake: 'pure',
  aws: 'adapters',
  respond: 'workflows',
};

/** The layer of a path relative to handlers/ ("policy/rules.ts"); undefined outside any. */
export function layerOf(path: string): Layer | undefined {
  const parts = path.split('/');
  if (parts.length === 1) return 'entries';
  return parts.length === 2 ? FOLDERS[parts[0]!] : undefined;
}

export interface Import {
  /** The importing file, relative to handlers/, with forward slashes. */
  readonly from: string;
  readonly specifier: string;
  /** `import type` / `export type`: names a type, loads nothing. */
  readonly typeOnly: boolean;
}

/** Every import, export-from and dynamic import() in a file's text. */
export function importsOf(from: string, text: string): Import[] {
  const source = ts.createSourceFile(from, text, ts.ScriptTarget.Latest, false);
  const out: Import[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier))
      out.push({
        from,
        specifier: node.moduleSpecifier.text,
        typeOnly: node.importClause?.isTypeOnly ?? false,
      });
    else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      out.push({ from, specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      out.push({ from, specifier: node.arguments[0].text, typeOnly: false });
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** One line per import that breaks the layers; none when all is well. */
export function violations(imports: readonly Import[]): string[] {
  const found: string[] = [];
  for (const { from, specifier, typeOnly } of imports) {
    const fromLayer = layerOf(from);
    const at = `${from} imports '${specifier}'`;
    if (!fromLayer) {
      found.push(`${at}: ${from} is in no layer (add its folder to the layers)`);
      continue;
    }
    if (specifier.startsWith('.')) {
      const target = posix.normalize(posix.join(posix.dirname(from), specifier));
      const toLayer = layerOf(target);
      if (target.startsWith('../')) found.push(`${at}: outside handlers/`);
      else if (!toLayer) found.push(`${at}: ${target} is in no layer`);
      else if (LAYERS.indexOf(toLayer) > LAYERS.indexOf(fromLayer))
        found.push(`${at}: up a layer, from ${fromLayer} to ${toLayer}`);
    } else if (/^@aws-sdk\/client-/.test(specifier) && !typeOnly && fromLayer !== 'adapters')
      found.push(`${at}: loads an AWS client outside aws/ (import type, or call an adapter)`);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

const imp = (from: string, specifier: string, typeOnly = false): Import => ({
  from,
  specifier,
  typeOnly,
});

describe('the layer checker', () => {
  it.each<[string, Import]>([
    ['Compliance 1: an entry imports a workflow', imp('reverter.ts', './respond/remediate')],
    ['Compliance 2: a workflow imports an adapter', imp('respond/remediate.ts', '../aws/ec2')],
    ['Compliance 3: an adapter imports the pure layer', imp('aws/ec2.ts', '../policy/rules')],
    ['Compliance 4: pure imports pure', imp('incident/timeline.ts', '../policy/rules')],
    ['Compliance 5: pure imports shared', imp('policy/policy.ts', '../shared/errors')],
    ['Compliance 6: shared imports shared', imp('shared/requests.ts', './validation')],
    [
      'Compliance 7: a type from an SDK client',
      imp('policy/rules.ts', '@aws-sdk/client-ec2', true),
    ],
    ['Compliance 8: an adapter loads its client', imp('aws/ec2.ts', '@aws-sdk/client-ec2')],
    ['Compliance 9: a package', imp('shared/logger.ts', '@aws-lambda-powertools/logger')],
  ])('%s', (_name, i) => {
    expect(violations([i])).toEqual([]);
  });

  it.each<[string, Import, string]>([
    [
      'Noncompliance 1: pure imports a workflow (even a type)',
      imp('incident/timeline.ts', '../respond/remediate', true),
      "incident/timeline.ts imports '../respond/remediate': up a layer, from pure to workflows",
    ],
    [
      'Noncompliance 2: shared imports pure',
      imp('shared/config.ts', '../policy/policy'),
      "shared/config.ts imports '../policy/policy': up a layer, from shared to pure",
    ],
    [
      'Noncompliance 3: pure imports an adapter',
      imp('policy/planner.ts', '../aws/ec2'),
      "policy/planner.ts imports '../aws/ec2': up a layer, from pure to adapters",
    ],
    [
      'Noncompliance 4: an adapter imports a workflow',
      imp('aws/incidents.ts', '../respond/incident-response'),
      "aws/incidents.ts imports '../respond/incident-response': up a layer, from adapters to workflows",
    ],
    [
      'Noncompliance 5: a workflow imports an entry',
      imp('respond/remediate.ts', '../env'),
      "respond/remediate.ts imports '../env': up a layer, from workflows to entries",
    ],
    [
      'Noncompliance 6: pure loads an AWS client',
      imp('policy/rules.ts', '@aws-sdk/client-ec2'),
      "policy/rules.ts imports '@aws-sdk/client-ec2': loads an AWS client outside aws/ (import type, or call an adapter)",
    ],
    [
      'Noncompliance 7: out of handlers/',
      imp('aws/ec2.ts', '../../infra/config'),
      "aws/ec2.ts imports '../../infra/config': outside handlers/",
    ],
    [
      'Noncompliance 8: a folder that is in no layer',
      imp('util/x.ts', '../shared/errors'),
      "util/x.ts imports '../shared/errors': util/x.ts is in no layer (add its folder to the layers)",
    ],
  ])('%s', (_name, i, message) => {
    expect(violations([i])).toEqual([message]);
  });

  it('reads imports, type imports, re-exports and dynamic imports', () => {
    const text = [
      "import { a } from './a';",
      "import type { B } from '../b';",
      "import './side-effect';",
      "export { c } from './c';",
      "export type { D } from './d';",
      "export * from './e';",
      "const f = () => import('./f');",
      "const g = 'not an import';",
    ].join('\n');
    expect(importsOf('x.ts', text)).toEqual([
      imp('x.ts', './a'),
      imp('x.ts', '../b', true),
      imp('x.ts', './side-effect'),
      imp('x.ts', './c'),
      imp('x.ts', './d', true),
      imp('x.ts', './e'),
      imp('x.ts', './f'),
    ]);
  });
});

describe('handlers/ keeps its layers', () => {
  const files = sourceFiles(HANDLERS);
  const imports = files.flatMap((f) =>
    importsOf(relative(HANDLERS, f).split(sep).join('/'), readFileSync(f, 'utf8')),
  );

  it('every file is in a layer, and every layer has files', () => {
    // GIVEN the source files of handlers/ WHEN each is placed in a layer
    const layers = files.map((f) => layerOf(relative(HANDLERS, f).split(sep).join('/')));
    // THEN none is left out, and no layer is empty (the checker sees the real tree)
    expect(layers.filter((l) => l === undefined)).toEqual([]);
    expect(new Set(layers)).toEqual(new Set(LAYERS));
  });

  it('no import goes up a layer', () => {
    expect(imports.length).toBeGreaterThan(50);
    expect(violations(imports)).toEqual([]);
  });
});
