#!/usr/bin/env node
'use strict';
// The CLI is TypeScript. `npm ci` prebuilds it into dist/ (bin/bundle.js), which loads in a
// fraction of the time; when that bundle is missing or was built from older sources, tsx compiles
// the sources as they load instead, so what runs is always what the sources say.
const { freshBundle, loadBundle } = require('./bundle.js');
const bundle = freshBundle();
const cli = bundle ? loadBundle(bundle) : fromSources();

cli.main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    // main() turns every error into an exit code itself; reaching here is a bug.
    const { code, line } = cli.explainError('', err);
    console.error(line);
    process.exitCode = code;
  },
);

/** The command from its TypeScript sources, through tsx: what runs without a fresh bundle. */
function fromSources() {
  const Module = require('node:module');
  const { sep } = require('node:path');

  const node = { load: Module._extensions['.js'], resolve: Module._resolveFilename };
  require('tsx/cjs');

  // tsx inspects every file it loads, dependencies included (is it ESM? does it import()?), which
  // doubles the cost of loading zod and yaml. Installed packages are JavaScript that Node loads by
  // itself: load and resolve them as Node would, and leave only the project's own files to tsx.
  // A package Node cannot require by itself (ESM only) still goes through tsx.
  const DEPENDENCY = `${sep}node_modules${sep}`;
  const isDependency = (file) => typeof file === 'string' && file.includes(DEPENDENCY);
  for (const ext of ['.js', '.cjs']) {
    const tsx = Module._extensions[ext];
    Module._extensions[ext] = function load(module, filename) {
      if (!isDependency(filename)) return tsx.call(this, module, filename);
      try {
        return node.load.call(this, module, filename);
      } catch (err) {
        if (err && err.code === 'ERR_REQUIRE_ESM') return tsx.call(this, module, filename);
        throw err;
      }
    };
  }
  const tsxResolve = Module._resolveFilename;
  Module._resolveFilename = function resolve(request, parent, ...rest) {
    const own = isDependency(parent && parent.filename) ? node.resolve : tsxResolve;
    return own.call(this, request, parent, ...rest);
  };

  return {
    main: require('../cli/main.ts').main,
    explainError: (...args) => require('../cli/errors.ts').explainError(...args),
  };
}
