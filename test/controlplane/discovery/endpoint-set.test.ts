import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { endpointKey, nextResolveDelayMs, reconcile, srvEndpoints, type Endpoint, type Member } from '../../../controlplane/discovery/endpoint-set.js';

const e = (address: string, port = 80, weight = 1): Endpoint => ({ address, port, weight, backup: false });
const members = (...list: Array<[string, number | null]>): Map<string, Member> =>
  new Map(list.map(([a, gone]) => [endpointKey(a, 80), { ...e(a), goneAtMs: gone }]));
const view = (m: ReadonlyMap<string, Member>) => Object.fromEntries([...m].map(([k, v]) => [k, v.goneAtMs]));

describe('reconcile (diffing resolved sets)', () => {
  const drainMs = 30_000;
  const cases: Array<[string, Map<string, Member>, Endpoint[] | null, number, Record<string, number | null>]> = [
    ['adds what the answer brings', members(['10.0.0.1', null]), [e('10.0.0.1'), e('10.0.0.2')], 100, { '10.0.0.1:80': null, '10.0.0.2:80': null }],
    ['starts draining what the answer lost', members(['10.0.0.1', null], ['10.0.0.2', null]), [e('10.0.0.1')], 100, { '10.0.0.1:80': null, '10.0.0.2:80': 100 }],
    ['keeps the first moment it left while it drains', members(['10.0.0.1', null], ['10.0.0.2', 50]), [e('10.0.0.1')], 20_000, { '10.0.0.1:80': null, '10.0.0.2:80': 50 }],
    ['drops it once the drain timeout has passed', members(['10.0.0.1', null], ['10.0.0.2', 50]), [e('10.0.0.1')], 30_050, { '10.0.0.1:80': null }],
    ['makes a draining address ready again when it comes back', members(['10.0.0.2', 50]), [e('10.0.0.2')], 1000, { '10.0.0.2:80': null }],
    ['changes nothing on a failed lookup', members(['10.0.0.1', null], ['10.0.0.2', null]), null, 1000, { '10.0.0.1:80': null, '10.0.0.2:80': null }],
    ['still ends drains on a failed lookup', members(['10.0.0.1', null], ['10.0.0.2', 0]), null, 40_000, { '10.0.0.1:80': null }],
    ['drains everything on an empty answer', members(['10.0.0.1', null]), [], 7, { '10.0.0.1:80': 7 }],
    ['counts an address answered twice once', new Map(), [e('10.0.0.1'), e('10.0.0.1')], 0, { '10.0.0.1:80': null }],
  ];
  for (const [what, before, answer, now, expected] of cases) {
    it(what, () => assert.deepEqual(view(reconcile(before, answer, now, drainMs)), expected));
  }

  it('takes the new weight of an address that stays', () => {
    const after = reconcile(members(['10.0.0.1', null]), [e('10.0.0.1', 80, 7)], 0, drainMs);
    assert.equal(after.get('10.0.0.1:80')?.weight, 7);
  });

  it('keys IPv6 addresses with brackets', () => assert.equal(endpointKey('fd00::1', 8080), '[fd00::1]:8080'));
});

describe('nextResolveDelayMs (TTL clamping)', () => {
  const cases: Array<[number | null, number, number, number]> = [
    [0, 1000, 10_000, 1000],
    [5, 1000, 10_000, 5000],
    [300, 1000, 10_000, 10_000],
    [null, 1000, 10_000, 10_000],
    [0, 2000, 500, 500],
  ];
  for (const [ttl, floor, ceiling, expected] of cases) {
    it(`TTL ${ttl} s within [${floor}, ${ceiling}] ms → ${expected} ms`, () => assert.equal(nextResolveDelayMs(ttl, floor, ceiling), expected));
  }
});

describe('srvEndpoints (SRV weight mapping)', () => {
  it('takes ports and weights from the records, 0 as 1, higher priorities as backups', () => {
    const records = [
      { name: 'a.test', port: 8080, priority: 10, weight: 60 },
      { name: 'B.test', port: 8081, priority: 10, weight: 0 },
      { name: 'c.test', port: 8080, priority: 20, weight: 5 },
      { name: 'gone.test', port: 8080, priority: 10, weight: 5 },
    ];
    const addresses = new Map([
      ['a.test', ['10.0.0.1']],
      ['b.test', ['10.0.0.2', 'fd00::2']],
      ['c.test', ['10.0.0.3']],
    ]);
    assert.deepEqual(srvEndpoints(records, addresses), [
      { address: '10.0.0.1', port: 8080, weight: 60, backup: false },
      { address: '10.0.0.2', port: 8081, weight: 1, backup: false },
      { address: 'fd00::2', port: 8081, weight: 1, backup: false },
      { address: '10.0.0.3', port: 8080, weight: 5, backup: true },
    ]);
  });

  it('gives nothing for no records', () => assert.deepEqual(srvEndpoints([], new Map()), []));
});
