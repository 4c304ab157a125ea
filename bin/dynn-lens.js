#!/usr/bin/env node
// Entry point of `npx dynn-lens` from a checkout: the CLI is the webpack bundle dist/cli.js.
'use strict';
const path = require('path');
const fs = require('fs');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write('dynn-lens: the CLI is not built yet. Run `npm run build` in the project folder first.\n');
  process.exit(2);
}
require(bundle);
