#!/usr/bin/env node
// The `parley` bin: runs the TypeScript CLI through tsx's require hook, resolved from this
// file, so it works from any directory (npx parley, npm run parley, node_modules/.bin/parley).
require('tsx/cjs');
require('./main.ts');
