/**
 * The schema-key rewrite (infra/bundling.ts): computed keys that stand for a top-level string
 * constant become literal keys, so that esbuild can drop unused SDK schemas; anything else is
 * left exactly as it was.
 */
import { build, transformSync } from 'esbuild';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { esbuildOptionsFor, literalSchemaKeys, SDK_SCHEMA_FILE } from '../../infra/bundling';

const ROOT = join(__dirname, '..', '..');

/** A schema module in the shape the SDK generates, small. */
const SCHEMA_MODULE = `const _F = "Foo";
const _B = "Bar";
const _xN = "xmlName";
const _eQN = "ec2QueryName";
const _m = "min";
const n0 = "com.amazonaws.fake";
import { TypeRegistry } from "@smithy/core/schema";
const _s_registry = TypeRegistry.for(n0);
export var Foo$ = [3, n0, _F,
    0,
    [_m],
    [[1, { [_eQN]: \`Min\`,
                [_xN]: _m }]]
];
export var Bar$ = [3, n0, _B, 0, [_m], [[0, { [_xN]: _B }]]];
export var Baz$ = [9, n0, _B, 0, () => Foo$, () => Bar$];
`;

const EXPECTED = `const _F = "Foo";
const _B = "Bar";
const _xN = "xmlName";
const _eQN = "ec2QueryName";
const _m = "min";
const n0 = "com.amazonaws.fake";
import { TypeRegistry } from "@smithy/core/schema";
const _s_registry = TypeRegistry.for(n0);
export var Foo$ = [3, n0, _F,
    0,
    [_m],
    [[1, { "ec2QueryName": \`Min\`,
                "xmlName": _m }]]
];
export var Bar$ = [3, n0, _B, 0, [_m], [[0, { "xmlName": _B }]]];
export var Baz$ = [9, n0, _B, 0, () => Foo$, () => Bar$];
`;

describe('literalSchemaKeys', () => {
  it('rewrites computed keys bound to top-level string constants, and nothing else', () => {
    // GIVEN a schema module WHEN rewritten THEN each key is the literal, lines and values unmoved
    expect(literalSchemaKeys(SCHEMA_MODULE)).toEqual({ code: EXPECTED, keys: 3 });
  });

  it('keeps keys it cannot prove, and text that is not code', () => {
    const source = [
      'const _a = "alpha";',
      "const _q = 'quoted';",
      'let _l = "mutable";',
      'const _n = 1;',
      'const _c = "a" + "b";',
      'const _e = "esc\\u0061ped";',
      'const _p = "__proto__";',
      'import { _i } from "./elsewhere";',
      'export var X = [{ [_a]: 1, [_q]: 2 }, { [_l]: 3, [_n]: 4, [_c]: 5, [_e]: 6 }];',
      'export var Y = [{ [_p]: 7 }, { [_i]: 8 }, { [_a + "x"]: 9 }, { [_a]: [_a] }];',
      'export var Z = [[_a], [1, [_a]], "{ [_a]: 10 }", `{ [_a]: 11 }`, x.for, { if: 1 }];',
      '// { [_a]: 12 }',
      '/* { [_a]: 13 } */',
      '',
    ].join('\n');
    // WHEN rewritten THEN only the keys bound to a plain top-level string constant change
    const expected = source
      .replace('{ [_a]: 1, [_q]: 2 }', `{ "alpha": 1, 'quoted': 2 }`)
      .replace('{ [_a]: [_a] }', '{ "alpha": [_a] }');
    expect(literalSchemaKeys(source)).toEqual({ code: expected, keys: 3 });
  });

  it.each([
    ['a function', 'function f(_a) { return { [_a]: 1 }; }'],
    ['an arrow with a parameter', 'export var f = (_a) => ({ [_a]: 1 });'],
    ['an arrow with a bare parameter', 'export var f = _a => ({ [_a]: 1 });'],
    ['a block declaration', 'export var f = () => { const _a = "b"; return { [_a]: 1 }; };'],
    ['a class', 'export class C { m() { return { [_a]: 1 }; } }'],
    ['a method', 'export var o = { m(_a) { return { [_a]: 1 }; } };'],
    ['a catch clause', 'try { x(); } catch (_a) { y({ [_a]: 1 }); }'],
    ['a division', 'export var n = 4 / 2, o = { [_a]: 1 };'],
    ['a regular expression', 'export var r = /x/g, o = { [_a]: 1 };'],
    ['a template with a substitution', 'export var t = `${_a}`, o = { [_a]: 1 };'],
    ['an unterminated string', 'export var o = { [_a]: "1 };'],
    ['an unexpected character', 'export var o = { [_a]: #x };'],
  ])('leaves a file with %s as it is', (_what, code) => {
    expect(literalSchemaKeys(`const _a = "alpha";\n${code}\n`)).toBeUndefined();
  });

  it('leaves a file with no constant table, or no key to rewrite, as it is', () => {
    expect(literalSchemaKeys('export var o = { [_a]: 1 };\n')).toBeUndefined();
    expect(literalSchemaKeys('const _a = "alpha";\nexport var o = { a: _a };\n')).toBeUndefined();
    expect(literalSchemaKeys('')).toBeUndefined();
  });

  it('applies only to the schema modules of the SDK clients', () => {
    for (const path of [
      '/p/node_modules/@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js',
      'C:\\p\\node_modules\\@aws-sdk\\client-ssm\\dist-es\\schemas\\schemas_1.js',
    ])
      expect(SDK_SCHEMA_FILE.test(path)).toBe(true);
    for (const path of [
      '/p/node_modules/@aws-sdk/client-ec2/dist-cjs/schemas/schemas_0.js',
      '/p/node_modules/@aws-sdk/client-ec2/dist-es/commands/RunInstancesCommand.js',
      '/p/node_modules/@smithy/core/dist-es/schemas/schemas_0.js',
      '/p/handlers/schemas/schemas_0.js',
    ])
      expect(SDK_SCHEMA_FILE.test(path)).toBe(false);
  });
});

/**
 * Evaluates an ES module's source with stub imports and returns its exports as text, functions
 * as their source, so that two evaluations compare with `===`.
 */
function evaluate(source: string): string {
  const { code } = transformSync(source, { format: 'cjs', loader: 'js' });
  class TypeRegistry {
    static for(namespace: string) {
      return new TypeRegistry(namespace);
    }
    readonly errors: unknown[] = [];
    constructor(readonly namespace: string) {}
    registerError(schema: unknown, ctor: unknown) {
      this.errors.push(schema, ctor);
    }
  }
  const module = { exports: {} as Record<string, unknown> };
  runInNewContext(code, {
    module,
    exports: module.exports,
    require: () =>
      new Proxy({ TypeRegistry }, { get: (t, k) => (k in t ? t.TypeRegistry : class {}) }),
  });
  return JSON.stringify(module.exports, (_key, value: unknown) =>
    typeof value === 'function' ? `fn:${String(value)}` : value,
  );
}

describe('literalSchemaKeys on the installed SDK', () => {
  const sdk = join(ROOT, 'node_modules', '@aws-sdk');
  const files = readdirSync(sdk).flatMap((pkg) => {
    const dir = join(sdk, pkg, 'dist-es', 'schemas');
    try {
      return readdirSync(dir).map((f) => join(dir, f));
    } catch {
      return [];
    }
  });

  it('finds client-ec2 among the schema modules', () => {
    expect(files.some((f) => f.includes('client-ec2'))).toBe(true);
  });

  it.each(files.map((f) => [f.slice(sdk.length + 1), f]))(
    'rewrites %s to a module with the same exports',
    (_name, file) => {
      // GIVEN a schema module as published WHEN rewritten
      const source = readFileSync(file, 'utf8');
      const rewritten = literalSchemaKeys(source);
      // THEN it is rewritten (the SDK still has the shape this relies on), with no computed key
      // left, on the same lines, and evaluates to the same exports, value for value
      expect(rewritten).toBeDefined();
      expect(rewritten!.code).not.toMatch(/[{,]\s*\[\s*[\w$]+\s*\]\s*:/);
      expect(rewritten!.code.split('\n')).toHaveLength(source.split('\n').length);
      expect(evaluate(rewritten!.code)).toBe(evaluate(source));
    },
  );
});

describe('the plugin in a build', () => {
  it('lets esbuild drop the schemas the entry does not use', async () => {
    // GIVEN a fake SDK client whose schema module uses computed keys, and an entry using one schema
    const dir = mkdtempSync(join(tmpdir(), 'fr-bundling-'));
    const pkg = join(dir, 'node_modules', '@aws-sdk', 'client-fake');
    const put = (path: string, text: string) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    };
    put(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: '@aws-sdk/client-fake',
        main: './dist-cjs/index.js',
        module: './dist-es/index.js',
        sideEffects: false,
      }),
    );
    put(join(pkg, 'dist-es', 'index.js'), 'export * from "./schemas/schemas_0";\n');
    put(
      join(pkg, 'dist-es', 'schemas', 'schemas_0.js'),
      SCHEMA_MODULE.replace('import { TypeRegistry } from "@smithy/core/schema";\n', '').replace(
        'const _s_registry = TypeRegistry.for(n0);\n',
        '',
      ),
    );
    const entry = join(dir, 'entry.ts');
    put(entry, 'import { Bar$ } from "@aws-sdk/client-fake";\nexport const used = Bar$;\n');
    const options = { ...esbuildOptionsFor(entry, join(dir, 'out.mjs')), write: false };

    // WHEN bundled with the deployed settings, and again without the plugin
    const [withPlugin, without] = await Promise.all([
      build(options),
      build({ ...options, plugins: [] }),
    ]);

    // THEN only the build with the plugin drops the unused schemas (Foo$, with its `Min`)
    const text = (r: typeof withPlugin) => r.outputFiles?.[0]?.text ?? '';
    expect(text(withPlugin)).toContain('"Bar"');
    expect(text(withPlugin)).not.toContain('Min');
    expect(text(without)).toContain('Min');
  });
});
