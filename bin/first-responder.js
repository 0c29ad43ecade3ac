#!/usr/bin/env node
'use strict';
// The CLI is TypeScript; tsx compiles it on load, so there is no build step to forget.
require('tsx/cjs');
const { main } = require('../cli/main.ts');
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`first-responder: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
