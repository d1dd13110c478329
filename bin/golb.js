#!/usr/bin/env node
import { runCli } from '../dist/cli/golb/main.js';

runCli(process.argv.slice(2));
