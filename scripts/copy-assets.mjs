// Copies what tsc does not emit (the dashboard's stylesheet) next to the compiled dashboard code.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const to = join(root, 'dist', 'dashboard-assets', 'admin', 'dashboard');
mkdirSync(to, { recursive: true });
copyFileSync(join(root, 'controlplane', 'admin', 'dashboard', 'dashboard.css'), join(to, 'dashboard.css'));
