#!/usr/bin/env node
// One demo backend (for containers): node bin/demo-backend.js --name backend-1 --port 8001 --host 0.0.0.0
import '../dist/cli/demo/backend-entry.js';
