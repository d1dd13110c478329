// Summarises a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, and the
// share of each source area. Usage: node bench/profile-summary.mjs FILE [TOP]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg ?? 40);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const dt = new Map();
// Self time per node from the sample timeline.
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}
const total = [...dt.values()].reduce((a, b) => a + b, 0);
/** The path inside the project of a golb source or build file, or undefined. */
const golbPath = (url) => /\/(?:dist\/)?((?:dataplane|controlplane|cli|proto)\/.*)$/.exec(url)?.[1];
const self = new Map();
const areas = new Map();
for (const [id, t] of dt) {
  const { callFrame: f } = byId.get(id);
  const where = f.url ? `${f.url.replace(/^.*\/(node_modules\/|dist\/)/, '$1')}:${f.lineNumber + 1}` : '';
  const key = `${f.functionName || '(anonymous)'} ${where}`;
  self.set(key, (self.get(key) ?? 0) + t);
  const area = !f.url ? f.functionName.startsWith('(') ? f.functionName : '(native)' : f.url.includes('node_modules/') ? `node_modules/${f.url.split('node_modules/')[1].split('/')[0]}` : f.url.startsWith('node:') ? 'node core' : golbPath(f.url) ? `golb ${golbPath(f.url).split('/').slice(0, 2).join('/')}` : f.url;
  areas.set(area, (areas.get(area) ?? 0) + t);
}
// Inclusive time: a sample counts once for every distinct function on its stack.
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map();
for (const [id, t] of dt) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const { callFrame: f } = byId.get(cur);
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.replace(/^.*\/(node_modules\/|dist\/)/, '$1')}:${f.lineNumber + 1}` : ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
}
const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
console.log(`total sampled ${(total / 1e6).toFixed(1)} s\n\nself time by area:`);
for (const [a, t] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, 20)) console.log(`${pct(t)}  ${a}`);
console.log(`\ntop ${top} functions by self time:`);
for (const [k, t] of [...self].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`);
console.log(`\ngolb functions by inclusive time:`);
for (const [k, t] of [...inclusive].filter(([k]) => /(dataplane|controlplane|cli|proto)\//.test(k) && !k.includes('node_modules/')).sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`);
