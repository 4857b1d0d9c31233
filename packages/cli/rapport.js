#!/usr/bin/env node
// `npx rapport …` in a checkout: npm links this workspace's bin into node_modules/.bin, and npx runs it
// directly. A `bin` in the root package.json would instead take npm's "self-execution" path, which
// installs the whole project into the npx cache and reads its dependency tree on every call (~2 s).
import '../../bin/rapport.js';
