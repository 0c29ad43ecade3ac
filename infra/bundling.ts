/**
 * How the Lambda handlers are bundled: the one place for it, used by the CDK constructs
 * (`lambdaBundling`) and by `npm run bench` (`buildLambda`, `esbuildOptionsFor`), so that the
 * bench measures what is deployed.
 *
 * The deployed bundle is one minified ES module, built from the SDK's ES modules and tree-shaken.
 * The SDK is bundled, not left to the Lambda runtime: NodejsFunction marks `@aws-sdk/*` external
 * by default, which would load the runtime's own CommonJS SDK, whole, on every cold start.
 *
 * Tree-shaking the SDK needs one fix esbuild cannot be told about by a flag (see
 * `literalSchemaKeys`): an esbuild plugin, which NodejsFunction cannot take. So the CDK side runs
 * its usual esbuild and then, in `afterBundling`, `infra/lambda-build.ts` rebuilds `index.mjs`
 * with the esbuild API, these options and the plugin: `buildLambda`, the very function the bench
 * calls. That costs one more esbuild run per function at synth (well under a second each), and no
 * Docker; in exchange the deployed file is, byte for byte, the one the bench measured
 * (test/bundling checks it).
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';

/** The newest Node.js runtime aws-cdk-lib 2.276 offers. */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

/** esbuild's target for the runtime, as NodejsFunction derives it ("nodejs24.x" -> "node24"). */
export const LAMBDA_TARGET = `node${/^nodejs(\d+)/.exec(LAMBDA_RUNTIME.name)![1]!}`;

/** The file NodejsFunction writes for an ESM bundle, and the handler module Lambda loads. */
export const LAMBDA_OUTFILE = 'index.mjs';

const PROJECT_ROOT = resolve(__dirname, '..');
/** Run by the afterBundling hook; see the file's comment. */
const BUILD_SCRIPT = join('infra', 'lambda-build.ts');

// ---------------------------------------------------------------------------------------------
// The plugin: literal keys in the SDK's schema modules
// ---------------------------------------------------------------------------------------------

/** The SDK clients' schema modules: `@aws-sdk/<client>/dist-es/schemas/<file>.js`. */
export const SDK_SCHEMA_FILE = /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/]schemas[\\/][^\\/]+\.js$/;

/**
 * Each SDK client's schema module (client-ec2's is 1.3 MB) spells its trait objects with
 * computed keys, from a table of string constants at the top of the file:
 *
 *     const _xN = "xmlName";
 *     export var Foo$ = [3, n0, _F, 0, [_M], [[1, { [_xN]: _m }]]];
 *
 * esbuild treats a computed key as possibly side-effecting (it may call toString), so it keeps
 * every `export var X$ = [...]` whether or not it is used: thousands of schemas
 * (evanw/esbuild#4373, aws/aws-sdk-js-v3#7607). With the key written as the literal it stands
 * for (`{ "xmlName": _m }`) the statement is pure, and the unused schemas are dropped.
 *
 * The rewrite is the same value by construction: a top-level `const` bound to a string literal
 * cannot be reassigned, so `[_xN]` is "xmlName" wherever it is not shadowed. To be sure nothing
 * shadows it, and that the text is read as code and not as a string, the source is tokenized
 * and the file is left as it is (undefined) on anything outside the expected shape: a nested
 * scope that could declare a name (function, class, method, arrow with parameters, catch, block
 * declarations), a `/` that is not a comment (division or regex), a template with a
 * substitution, a character it does not expect. `__proto__` keys are never rewritten (as a
 * literal key it would set the prototype). Line breaks are kept, so line numbers do not move.
 *
 * Returns the rewritten source and how many keys it rewrote, or undefined when there is nothing
 * to rewrite or the file is not in the expected shape.
 */
export function literalSchemaKeys(source: string): { code: string; keys: number } | undefined {
  const tokens = tokenize(source);
  if (!tokens) return undefined;

  // The table: top-level `const NAME = "literal";` (or 'literal'), with no escape in it.
  const table = new Map<string, string>();
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const previous = tokens[i - 1]?.text;
    if (t.kind === 'punct') {
      // A method, a function body or an `if (...) {` block: a scope that could declare names.
      if (t.text === '{' && previous === ')') return undefined;
      // An arrow function with parameters (`() =>` declares none).
      if (t.text === '=>' && !(previous === ')' && tokens[i - 2]?.text === '(')) return undefined;
      if ('([{'.includes(t.text)) depth++;
      else if (')]}'.includes(t.text)) depth--;
      if (depth < 0) return undefined;
      continue;
    }
    // A keyword, unless it is a property name (`x.for`, `{ class: 1 }`).
    const isKeyword =
      t.kind === 'ident' && previous !== '.' && previous !== '?.' && tokens[i + 1]?.text !== ':';
    if (!isKeyword) continue;
    if (SCOPE_KEYWORDS.has(t.text)) return undefined;
    if (t.text === 'const' || t.text === 'let' || t.text === 'var') {
      if (depth !== 0) return undefined; // a declaration inside a block or function
      const [name, eq, value, semi] = tokens.slice(i + 1, i + 5);
      if (
        t.text === 'const' &&
        name?.kind === 'ident' &&
        eq?.text === '=' &&
        value?.kind === 'string' &&
        !value.text.includes('\\') &&
        semi?.text === ';'
      ) {
        if (table.has(name.text)) return undefined; // declared twice: not valid JS anyway
        table.set(name.text, value.text);
      }
    }
  }
  if (depth !== 0 || table.size === 0) return undefined;

  // The keys: `{` or `,`, then `[ NAME ]`, then `:`, with NAME in the table.
  let code = '';
  let copied = 0;
  let keys = 0;
  for (let i = 1; i + 3 < tokens.length; i++) {
    const open = tokens[i]!;
    const before = tokens[i - 1]!.text;
    if (open.text !== '[' || (before !== '{' && before !== ',')) continue;
    const name = tokens[i + 1]!;
    const close = tokens[i + 2]!;
    if (name.kind !== 'ident' || close.text !== ']' || tokens[i + 3]!.text !== ':') continue;
    const literal = table.get(name.text);
    if (literal === undefined || literal.slice(1, -1) === '__proto__') continue;
    code += source.slice(copied, open.start) + literal;
    copied = close.end;
    keys++;
  }
  if (keys === 0) return undefined;
  return { code: code + source.slice(copied), keys };
}

/** Words that open a scope able to declare names, or that this rewrite does not reason about. */
const SCOPE_KEYWORDS = new Set([
  'function',
  'class',
  'catch',
  'with',
  'for',
  'if',
  'while',
  'do',
  'switch',
  'try',
]);

interface Token {
  readonly kind: 'ident' | 'string' | 'number' | 'punct';
  /** The source text; for a string, with its quotes. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const PUNCT_3 = new Set(['...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=']);
const PUNCT_2 = new Set([
  '=>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '?.',
  '++',
  '--',
  '+=',
  '-=',
  '*=',
  '%=',
  '&=',
  '|=',
  '^=',
  '**',
  '<<',
  '>>',
]);
const PUNCT_1 = '{}[]()<>,;:=?.+-*%&|^!~';

/**
 * A small JavaScript tokenizer, enough for generated data modules. Returns undefined on anything
 * it cannot read unambiguously: a `/` that does not open a comment, a template with a
 * substitution, an unterminated string or comment, or an unexpected character.
 */
function tokenize(source: string): Token[] | undefined {
  const tokens: Token[] = [];
  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source[i]!;
    const start = i;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '/') {
      if (source[i + 1] === '/') {
        const end = source.indexOf('\n', i);
        i = end < 0 ? n : end;
      } else if (source[i + 1] === '*') {
        const end = source.indexOf('*/', i + 2);
        if (end < 0) return undefined;
        i = end + 2;
      } else return undefined; // division or a regular expression: not in the expected shape
    } else if (c === '"' || c === "'" || c === '`') {
      i++;
      while (i < n && source[i] !== c) {
        if (source[i] === '\\') i++;
        else if (c === '`' && source[i] === '$' && source[i + 1] === '{') return undefined;
        else if (c !== '`' && (source[i] === '\n' || source[i] === '\r')) return undefined;
        i++;
      }
      if (i >= n) return undefined;
      i++;
      tokens.push({ kind: 'string', text: source.slice(start, i), start, end: i });
    } else if (/[A-Za-z_$]/.test(c)) {
      while (i < n && /[\w$]/.test(source[i]!)) i++;
      tokens.push({ kind: 'ident', text: source.slice(start, i), start, end: i });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      while (i < n && /[\w.]/.test(source[i]!)) i++;
      tokens.push({ kind: 'number', text: source.slice(start, i), start, end: i });
    } else {
      const three = source.slice(i, i + 3);
      const two = source.slice(i, i + 2);
      const text = PUNCT_3.has(three)
        ? three
        : PUNCT_2.has(two)
          ? two
          : PUNCT_1.includes(c)
            ? c
            : undefined;
      if (text === undefined) return undefined; // `#`, `@`, `\`, non-ASCII identifiers, ...
      i += text.length;
      tokens.push({ kind: 'punct', text, start, end: i });
    }
  }
  return tokens;
}

/** What the plugin did in one build: how many schema files and keys it rewrote. */
export interface SchemaKeyStats {
  files: number;
  keys: number;
}

/** The esbuild plugin that applies `literalSchemaKeys` to the SDK's schema modules. */
export function literalSchemaKeysPlugin(stats?: SchemaKeyStats): Plugin {
  return {
    name: 'literal-sdk-schema-keys',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: SDK_SCHEMA_FILE }, async (args) => {
        const rewritten = literalSchemaKeys(await readFile(args.path, 'utf8'));
        // Undefined: esbuild loads the file as it is.
        if (!rewritten) return undefined;
        if (stats) {
          stats.files++;
          stats.keys += rewritten.keys;
        }
        return { contents: rewritten.code, loader: 'js' };
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The esbuild settings: the deployed bundle, and the CommonJS baseline the bench compares with
// ---------------------------------------------------------------------------------------------

/**
 * 'esm': what is deployed. 'cjs-baseline': the same handler bundled from the SDK's CommonJS
 * build, for the bench's comparison only.
 */
export type BundleVariant = 'esm' | 'cjs-baseline';

/**
 * The esbuild API options for a handler.
 *
 * No banner: no dependency of the handlers needs `require` in the ES module (the bundling test
 * fails if one starts to). No source map: it would help only with NODE_OPTIONS=--enable-source-maps
 * set on the function, which makes Node read and parse the map at every cold start; a cold start
 * is what this bundle is built to make short, and the bench measures it without a map.
 */
export function esbuildOptionsFor(
  entry: string,
  outfile: string,
  variant: BundleVariant = 'esm',
  stats?: SchemaKeyStats,
): BuildOptions & { metafile: true } {
  const common = {
    entryPoints: [resolve(PROJECT_ROOT, entry)],
    outfile: resolve(outfile),
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: 'node',
    target: LAMBDA_TARGET,
    minify: true,
    external: [],
    metafile: true,
    logLevel: 'warning',
  } satisfies BuildOptions;
  if (variant === 'esm')
    return {
      ...common,
      format: 'esm',
      // The SDK's ES modules (its `module` entry points), which esbuild can tree-shake.
      mainFields: ['module', 'main'],
      plugins: [literalSchemaKeysPlugin(stats)],
    };
  return {
    ...common,
    format: 'cjs',
    mainFields: ['main'],
    // No `module` condition (esbuild adds it unless told otherwise): packages with an exports
    // map (@smithy/*) resolve to their CommonJS build too, as `require` in Node would.
    conditions: [],
  };
}

export interface LambdaBundle {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
  /** What `literalSchemaKeys` rewrote. */
  readonly schemaKeys: SchemaKeyStats;
}

/**
 * Builds the deployed bundle of `entry` (absolute, or relative to the project root) as
 * `outdir/index.mjs`: what the afterBundling hook runs, and what the bench measures.
 */
export async function buildLambda(entry: string, outdir: string): Promise<LambdaBundle> {
  const file = resolve(outdir, LAMBDA_OUTFILE);
  const schemaKeys: SchemaKeyStats = { files: 0, keys: 0 };
  const { metafile } = await build(esbuildOptionsFor(entry, file, 'esm', schemaKeys));
  const bytes = (await readFile(file)).length;
  return { file, bytes, metafile, schemaKeys };
}

// ---------------------------------------------------------------------------------------------
// The CDK side
// ---------------------------------------------------------------------------------------------

/** Single-quoted for bash, which runs NodejsFunction's command hooks. */
function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * NodejsFunction's `bundling` for a handler: local esbuild (never Docker), the settings of
 * `esbuildOptionsFor`, and an afterBundling step that rebuilds `index.mjs` with `buildLambda`
 * (the plugin) over what CDK's own esbuild run wrote. `entry` is the function's entry, absolute
 * or relative to the project root (the NodejsFunction's `projectRoot`).
 */
export function lambdaBundling(entry: string): BundlingOptions {
  const relativeEntry = relative(PROJECT_ROOT, resolve(PROJECT_ROOT, entry));
  if (relativeEntry.startsWith('..') || isAbsolute(relativeEntry))
    throw new Error(`lambdaBundling: ${entry} is not under the project root ${PROJECT_ROOT}`);
  return {
    forceDockerBundling: false,
    format: OutputFormat.ESM,
    mainFields: ['module', 'main'],
    target: LAMBDA_TARGET,
    minify: true,
    sourceMap: false,
    // Bundle the SDK (ES modules, tree-shaken) instead of loading the runtime's CommonJS copy.
    externalModules: [],
    logLevel: LogLevel.WARNING,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      // Runs in the project root (inputDir, when bundling locally) with the project's tsx.
      afterBundling: (inputDir: string, outputDir: string) => [
        [
          'node',
          '--import',
          'tsx',
          shellQuote(join(inputDir, BUILD_SCRIPT)),
          shellQuote(join(inputDir, relativeEntry)),
          shellQuote(outputDir),
        ].join(' '),
      ],
    },
  };
}
