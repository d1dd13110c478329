// Entry for running the launcher from sources (tests, development): node --import tsx cli/golb/entry.ts
import { runCli } from './main.js';

runCli(process.argv.slice(2));
