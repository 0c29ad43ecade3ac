#!/usr/bin/env node
'use strict';
// The CLI is TypeScript; tsx compiles it on load, so there is no build step to forget.
require('tsx/cjs');
const { main } = require('../cli/main.ts');
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    // main() turns every error into an exit code itself; reaching here is a bug.
    const { explainError } = require('../cli/errors.ts');
    const { code, line } = explainError('', err);
    console.error(line);
    process.exitCode = code;
  },
);
