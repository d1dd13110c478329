#!/usr/bin/env node
import '../dist/cli/demo/demo.js';
