'use strict';
/**
 * The command line's prebuilt bundle. `npm ci` (and `npm install`) runs `prepare`, which runs this
 * file: esbuild compiles cli/main.ts and every project file it reaches into dist/cli.js, and the
 * two libraries the planner loads, zod and yaml, into dist/zod.js and dist/yaml.js. Other installed
 * packages (aws-cdk-lib, cdk-nag, the AWS SDK) stay where they are and load, on demand, as before.
 * Beside each bundle goes V8's code cache of it (`.v8-cache`), so that a run does not compile it
 * again. A bundle loads in a fraction of the CPU time tsx takes to compile the same files, and zod
 * in one file in less than its hundred files (npm run bench, section cli).
 *
 * bin/first-responder.js runs the bundle only when it is fresh: dist/manifest.json lists every
 * file the bundles were built from (an installed package: its package.json) and the files built,
 * each with its size and modification time, and one that differs, or is gone, means the source
 * changed since: the command then runs the sources through tsx, as it does without a bundle. So
 * an edit is never hidden by an old bundle; `npm run prepare` makes the command fast again.
 *
 * Only node:fs and node:path load with this file: bin/first-responder.js checks freshness on every
 * run. esbuild loads only to build.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DIST = 'dist';
const MANIFEST = 'manifest.json';
const FORMAT = 1;
const ENTRY = 'cli.js';
/** Beside each bundle, V8's compiled code of it (see loadBundle). */
const CODE_CACHE = '.v8-cache';
/** Bundled on their own, one file each, loaded only by the commands that use them. */
const VENDORED = ['zod', 'yaml'];
/** What the build depends on besides the files esbuild reads: its recipe, versions, compiler options. */
const RECIPE = [
  'bin/bundle.js',
  'package.json',
  'tsconfig.json',
  'node_modules/esbuild/package.json',
];

const slash = (p) => p.split(path.sep).join('/');

/**
 * The bundle's entry (dist/cli.js) when it was built from the files as they are now; otherwise
 * undefined, and the caller runs the sources. Never throws: a broken dist/ means "no bundle".
 */
function freshBundle(root = ROOT) {
  try {
    const dist = path.join(root, DIST);
    const manifest = JSON.parse(fs.readFileSync(path.join(dist, MANIFEST), 'utf8'));
    if (manifest.format !== FORMAT) return undefined;
    for (const [file, [size, mtimeMs]] of Object.entries(manifest.files)) {
      const st = fs.statSync(path.join(root, file), { throwIfNoEntry: false });
      if (!st || st.size !== size || st.mtimeMs !== mtimeMs) return undefined;
    }
    return path.join(dist, ENTRY);
  } catch {
    return undefined;
  }
}

/**
 * The command from its bundle: dist/'s files load with the V8 code cache built beside each, so
 * that V8 skips compiling what the cache holds, most of a bundle's load time. A cache V8 refuses
 * (another Node.js, other V8 flags) costs only the compiling it would have done anyway.
 */
function loadBundle(entry) {
  const Module = require('node:module');
  const dist = path.dirname(entry);
  const js = Module._extensions['.js'];
  Module._extensions['.js'] = function load(module, filename) {
    if (path.dirname(filename) !== dist) return js.call(this, module, filename);
    let cachedData;
    try {
      cachedData = fs.readFileSync(filename + CODE_CACHE);
    } catch {
      // Compiled as usual.
    }
    run(compile(filename, cachedData), module, filename);
  };
  return require(entry);
}

/** A bundle as Node compiles a CommonJS file: inside the module wrapper, lines unchanged. */
function compile(filename, cachedData) {
  const { wrap } = require('node:module');
  const { Script } = require('node:vm');
  return new Script(wrap(fs.readFileSync(filename, 'utf8')), { filename, cachedData });
}

function run(script, module, filename) {
  const { createRequire } = require('node:module');
  const require_ = createRequire(filename);
  const dirname = path.dirname(filename);
  script
    .runInThisContext()
    .call(module.exports, module.exports, require_, module, filename, dirname);
}

/**
 * V8's code for a bundle, as it stands once the bundle has loaded (its modules' top level run:
 * definitions only; the commands run on demand, not here).
 */
function codeCache(filename) {
  const Module = require('node:module');
  const script = compile(filename);
  const module = new Module(filename);
  module.filename = filename;
  run(script, module, filename);
  return script.createCachedData();
}

/**
 * Project files use `__dirname` to find the repository (examples/, runbooks/); in a bundle it is
 * dist/'s. Rewrite it to the source file's own directory, relative to the bundle, so that every
 * path resolves as it does from the sources, wherever the file sits.
 */
function sourceDirnames(outdir) {
  return {
    name: 'source-dirnames',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const text = fs.readFileSync(args.path, 'utf8');
        if (!/\b__(dirname|filename)\b/.test(text)) return undefined;
        const at = (p) =>
          `require("node:path").join(__dirname, ${JSON.stringify(slash(path.relative(outdir, p)))})`;
        return {
          loader: 'ts',
          contents: text
            .replace(/\b__dirname\b/g, at(path.dirname(args.path)))
            .replace(/\b__filename\b/g, at(args.path)),
        };
      });
    },
  };
}

/** `import 'zod'` in the project loads dist/zod.js: one copy of each library, in one file. */
function vendored() {
  return {
    name: 'vendored',
    setup(build) {
      const names = VENDORED.join('|');
      build.onResolve({ filter: new RegExp(`^(${names})(/.*)?$`) }, (args) => {
        if (VENDORED.includes(args.path)) return { path: `./${args.path}.js`, external: true };
        return {
          errors: [
            {
              text: `'${args.path}': only ${VENDORED.join(', ')} themselves are bundled (bin/bundle.js VENDORED)`,
            },
          ],
        };
      });
    },
  };
}

/** esbuild's warnings (a require it cannot follow, say) would make a bundle that fails later. */
function strict(result) {
  if (result.warnings.length)
    throw new Error(`esbuild: ${result.warnings.map((w) => w.text).join('; ')}`);
  return result;
}

/**
 * Builds dist/: the bundles, then the manifest, each written whole (to a temporary file renamed
 * into place), so that a concurrent run sees the old bundle or the new one. Refuses to write a
 * manifest when a source changed while it was read: the bundle might hold the old text.
 */
async function buildBundle(root = ROOT) {
  const esbuild = require('esbuild');
  // To the microsecond, as file times are: a file written just before is not taken as edited during.
  const started = performance.timeOrigin + performance.now();
  const outdir = path.join(root, DIST);
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // The oldest Node.js package.json's engines allows: the bundle may outlive this one.
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
  };
  const builds = await Promise.all([
    esbuild
      .build({
        ...common,
        // A lazy explainError: main() loads cli/errors.ts only when a command fails.
        stdin: {
          contents:
            "export { main } from './cli/main';\n" +
            "export const explainError: typeof import('./cli/errors').explainError = (...args) =>\n" +
            "  (require('./cli/errors') as typeof import('./cli/errors')).explainError(...args);\n",
          resolveDir: root,
          sourcefile: '<entry>',
          loader: 'ts',
        },
        outfile: path.join(outdir, ENTRY),
        packages: 'external',
        plugins: [vendored(), sourceDirnames(outdir)],
      })
      .then(strict),
    ...VENDORED.map((name) =>
      esbuild
        .build({
          ...common,
          // From the package's ES modules where it has them: esbuild joins them into one scope,
          // without a wrapper per module. Its default export too, as `import x from` reads it.
          stdin: {
            contents: `export * from '${name}';\nexport { default } from '${name}';\n`,
            resolveDir: root,
          },
          outfile: path.join(outdir, `${name}.js`),
          minify: true,
        })
        .then(strict),
    ),
  ]);

  // An installed package counts as its package.json, which npm writes whenever it installs another
  // version: its hundreds of files would make the check that every run pays several times dearer.
  const inputs = new Set(RECIPE);
  for (const b of builds)
    for (const input of Object.keys(b.metafile.inputs).map(slash)) {
      if (input.startsWith('<')) continue;
      const pkg = /^(.*?node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      inputs.add(pkg ? `${pkg[1]}/package.json` : input);
    }
  const files = {};
  for (const file of [...inputs].sort()) {
    const st = fs.statSync(path.join(root, file));
    if (st.mtimeMs > started)
      throw new Error(`${file} changed during the build (or is dated in the future); build again`);
    files[file] = [st.size, st.mtimeMs];
  }

  fs.mkdirSync(outdir, { recursive: true });
  // The old manifest goes first: a bundle half-replaced is never declared fresh.
  fs.rmSync(path.join(outdir, MANIFEST), { force: true });
  const place = (file, contents) => {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, contents);
    fs.renameSync(tmp, file);
  };
  const sources = Object.keys(files).length;
  const outputs = builds.flatMap((b) => b.outputFiles.map((out) => out.path));
  for (const b of builds) for (const out of b.outputFiles) place(out.path, out.contents);
  for (const out of outputs) place(out + CODE_CACHE, codeCache(out));
  for (const out of outputs.flatMap((o) => [o, o + CODE_CACHE])) {
    const st = fs.statSync(out);
    files[slash(path.relative(root, out))] = [st.size, st.mtimeMs];
  }
  place(path.join(outdir, MANIFEST), `${JSON.stringify({ format: FORMAT, files })}\n`);
  return {
    files: sources,
    bytes: builds.flatMap((b) => b.outputFiles).reduce((n, o) => n + o.contents.length, 0),
    ms: Math.round(performance.timeOrigin + performance.now() - started),
  };
}

/** One line: esbuild's first error with its place, or the error's first line. */
function reason(err) {
  const first = err && Array.isArray(err.errors) ? err.errors[0] : undefined;
  if (first)
    return `${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}`;
  return String(err && err.message ? err.message : err).split('\n')[0];
}

module.exports = { buildBundle, freshBundle, loadBundle, sourceDirnames, DIST };

// `npm run prepare`, run by npm ci: a failure leaves the command on tsx (slower, still correct),
// so it says why and lets the install finish.
if (require.main === module) {
  buildBundle().then(
    ({ files, bytes, ms }) =>
      console.log(
        `first-responder: built ${DIST}/${ENTRY} (${Math.round(bytes / 1024)} KB from ${files} files, ${ms} ms)`,
      ),
    (err) =>
      console.error(
        `first-responder: could not prebuild the command line (${reason(err)}); ` +
          "'npx first-responder' still works, through tsx, only slower. 'npm run prepare' tries again.",
      ),
  );
}
