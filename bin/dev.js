#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (development only). CommonJS, as every file of bin/ (bin/package.json).
'use strict'
const { join } = require('node:path')
require('@oclif/core').execute({ development: true, dir: join(__dirname, '..') })
