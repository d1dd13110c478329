// Health directives: `health_check` (active probes; HAProxy `option httpchk`/`check inter rise
// fall`, nginx plus `health_check`), `passive_health` (nginx `max_fails`/`fail_timeout`, Envoy
// outlier detection) and `panic_threshold` (Envoy's healthy panic threshold).
import type { Statement, Token } from '../lexer.js';
import type { HealthCheckConfig, PassiveHealthConfig } from '../model.js';
import { posOf, type Args, type DirectiveTable, type Handler, type Parser } from '../parser-core.js';
import { isBoolWord, parseDuration, parseInteger, parsePercent } from '../values.js';

const handlePanicThreshold: Handler = (p, st, args) => {
  const [t] = p.positionals(st, args, 1, 'a percentage (0% = off)', ['pool']) ?? [];
  if (t === undefined) return;
  const target = p.settingsTarget(args, 'panic_threshold');
  const v = p.value(parsePercent(t.text, 'panic_threshold'), posOf(t));
  if (v !== undefined && target !== undefined) target.panicThresholdPercent = v;
};

const HEALTH_ATTRS = [
  'type',
  'path',
  'interval',
  'timeout',
  'rise',
  'fall',
  'healthy_threshold',
  'unhealthy_threshold',
  'status',
  'host',
  'pool',
];

/** First positional word as on/off (the only positional these directives take). */
function onOff(p: Parser, st: Statement, args: Args, allowed: readonly string[]): boolean | undefined {
  let enabled: boolean | undefined;
  const others: Token[] = [];
  for (const w of args.positional) {
    const word = w.text.toLowerCase();
    if (enabled === undefined && !w.quoted && isBoolWord(word)) enabled = TRUE_WORDS.has(word);
    else others.push(w);
  }
  p.extras(others, st.words[0]!.text, allowed);
  return enabled;
}
const TRUE_WORDS = new Set(['on', 'true', 'yes']);

const handleHealthCheck: Handler = (p, st, args) => {
  const enabled = onOff(p, st, args, HEALTH_ATTRS);
  const target = p.settingsTarget(args, 'health_check');
  const hc: Partial<HealthCheckConfig> = {};
  if (enabled !== undefined) hc.enabled = enabled;
  for (const a of args.attrs.values()) {
    switch (a.key) {
      case 'type': {
        const t = a.value.toLowerCase();
        if (t === 'http' || t === 'tcp') hc.type = t;
        else p.error(a.pos, `bad health_check type "${a.value}" (expected http or tcp)`);
        break;
      }
      case 'path':
        if (a.value.startsWith('/') && !/\s/.test(a.value)) hc.path = a.value;
        else p.error(a.pos, `bad health_check path "${a.value}" (must start with "/")`);
        break;
      case 'interval':
      case 'timeout': {
        const v = p.value(parseDuration(a.value, `health_check ${a.key}`), a.pos);
        if (v === 0) p.error(a.pos, `health_check ${a.key} must be more than 0`);
        else if (v !== undefined) hc[a.key === 'interval' ? 'intervalMs' : 'timeoutMs'] = v;
        break;
      }
      case 'rise':
      case 'healthy_threshold':
      case 'fall':
      case 'unhealthy_threshold': {
        if (a.key === 'healthy_threshold' && args.attrs.has('rise')) p.error(a.keyPos, 'give rise or healthy_threshold, not both');
        if (a.key === 'unhealthy_threshold' && args.attrs.has('fall')) p.error(a.keyPos, 'give fall or unhealthy_threshold, not both');
        const v = p.value(parseInteger(a.value, a.key, 1, 1000), a.pos);
        if (v !== undefined) hc[a.key === 'rise' || a.key === 'healthy_threshold' ? 'healthyThreshold' : 'unhealthyThreshold'] = v;
        break;
      }
      case 'status': {
        const m = /^(\d{3})(?:-(\d{3}))?$/.exec(a.value);
        const lo = m ? Number(m[1]) : 0;
        const hi = m ? Number(m[2] ?? m[1]) : 0;
        if (!m || lo < 100 || hi > 599 || lo > hi) {
          p.error(a.pos, `bad health_check status "${a.value}" (expected a code or a range like 200-399)`);
        } else {
          hc.statusMin = lo;
          hc.statusMax = hi;
        }
        break;
      }
      case 'host':
        if (/^[A-Za-z0-9.:[\]-]+$/.test(a.value)) hc.host = a.value;
        else p.error(a.pos, `bad health_check host "${a.value}"`);
        break;
    }
  }
  if (target !== undefined) Object.assign(target.healthCheck, hc);
};

const PASSIVE_ATTRS = ['max_fails', 'fail_timeout', 'max_ejection', 'max_ejection_percent', 'errors', 'pool'];

const handlePassiveHealth: Handler = (p, st, args) => {
  const enabled = onOff(p, st, args, PASSIVE_ATTRS);
  const target = p.settingsTarget(args, 'passive_health');
  const ph: Partial<PassiveHealthConfig> = {};
  if (enabled !== undefined) ph.enabled = enabled;
  const mf = args.attrs.get('max_fails');
  if (mf !== undefined) {
    const v = p.value(parseInteger(mf.value, 'max_fails', 1, 1000), mf.pos);
    if (v !== undefined) ph.maxFailures = v;
  }
  const ft = args.attrs.get('fail_timeout');
  if (ft !== undefined) {
    const v = p.value(parseDuration(ft.value, 'fail_timeout'), ft.pos);
    if (v !== undefined) ph.ejectionMs = v;
  }
  const me = args.attrs.get('max_ejection');
  if (me !== undefined) {
    const v = p.value(parseDuration(me.value, 'max_ejection'), me.pos);
    if (v !== undefined) ph.maxEjectionMs = v;
  }
  const mp = args.attrs.get('max_ejection_percent');
  if (mp !== undefined) {
    const v = p.value(parsePercent(mp.value, 'max_ejection_percent'), mp.pos);
    if (v !== undefined) ph.maxEjectionPercent = v;
  }
  const errors = args.attrs.get('errors');
  if (errors !== undefined) {
    const e = errors.value.toLowerCase();
    if (e === 'gateway' || e === '5xx') ph.errors = e;
    else p.error(errors.pos, `bad passive_health errors "${errors.value}" (expected gateway or 5xx)`);
  }
  if (target !== undefined) Object.assign(target.passiveHealth, ph);
};

export const HEALTH_DIRECTIVES: DirectiveTable = {
  health_check: { handler: handleHealthCheck, inBlock: true, global: true, attrs: HEALTH_ATTRS },
  passive_health: { handler: handlePassiveHealth, inBlock: true, global: true, attrs: PASSIVE_ATTRS },
  panic_threshold: { handler: handlePanicThreshold, inBlock: true, global: true, attrs: ['pool'] },
};
