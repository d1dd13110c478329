// Balancing and persistence through the real proxy: control plane + data plane + fake backends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, startCluster, tally, waitFor, type Cluster } from '../helpers/cluster.js';

async function fakes(n: number, opts: { websocket?: boolean } = {}): Promise<FakeBackend[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => startFakeBackend({ name: `b${i + 1}`, ...opts })));
}

describe('weighted round robin through the proxy', () => {
  let backends: FakeBackend[];
  let cluster: Cluster;
  before(async () => {
    backends = await fakes(3);
    cluster = await startCluster(
      `method weighted_round_robin\n` + backends.map((b, i) => `backend ${b.url} weight=${[5, 3, 1][i]}`).join('\n') + '\n',
    );
  });
  after(async () => {
    await cluster.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('splits 9 000 requests 5:3:1 within 1%', async () => {
    const port = cluster.dps[0]!.port;
    const served: string[] = [];
    for (let batch = 0; batch < 90; batch++) {
      const replies = await Promise.all(Array.from({ length: 100 }, () => request(port, '/')));
      for (const r of replies) {
        assert.equal(r.status, 200);
        served.push(String(r.headers['x-backend']));
      }
    }
    const counts = tally(served);
    console.log(`# weighted round robin 5:3:1 over 9000 requests: ${JSON.stringify(counts)}`);
    assert.equal(served.length, 9000);
    for (const [name, share] of [['b1', 5 / 9], ['b2', 3 / 9], ['b3', 1 / 9]] as const) {
      assert.ok(Math.abs((counts[name] ?? 0) / 9000 - share) <= 0.01, `${name}: ${counts[name]} of 9000, expected ${(share * 9000).toFixed(0)}`);
    }
  });
});

describe('least connections through the proxy', () => {
  let backends: FakeBackend[];
  let cluster: Cluster;
  before(async () => {
    backends = await fakes(3);
    cluster = await startCluster(`method least_connections\n` + backends.map((b) => `backend ${b.url}`).join('\n') + '\n');
  });
  after(async () => {
    await cluster.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('sends the bulk of concurrent traffic away from a slowed backend', async () => {
    backends[0]!.setMode('slow', { delayMs: 300 });
    const port = cluster.dps[0]!.port;
    const served: string[] = [];
    // 20 concurrent clients, each sending 15 requests back to back.
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = 0; i < 15; i++) served.push(String((await request(port, '/')).headers['x-backend']));
      }),
    );
    const counts = tally(served);
    console.log(`# least connections, b1 slowed to 300 ms, 20 clients x 15 requests: ${JSON.stringify(counts)}`);
    assert.equal(served.length, 300);
    assert.ok((counts.b1 ?? 0) < 300 * 0.15, `slow backend took ${counts.b1} of 300`);
    assert.ok((counts.b2 ?? 0) > 100 && (counts.b3 ?? 0) > 100, JSON.stringify(counts));
  });
});

describe('cookie persistence through the proxy', () => {
  let backends: FakeBackend[];
  let cluster: Cluster;
  before(async () => {
    backends = await fakes(3);
    cluster = await startCluster(
      `method round_robin\npersistence cookie\nhealth_check off\n` + backends.map((b) => `backend ${b.url}`).join('\n') + '\n',
    );
  });
  after(async () => {
    await cluster.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('keeps a client with the cookie on one backend over 100 requests', async () => {
    const port = cluster.dps[0]!.port;
    const first = await request(port, '/');
    const setCookie = first.headers['set-cookie']?.[0];
    assert.ok(setCookie?.startsWith('GOLB_SESSION='), `first response sets the cookie: ${setCookie}`);
    assert.match(setCookie!, /HttpOnly/);
    assert.match(setCookie!, /SameSite=Lax/);
    const cookie = setCookie!.split(';')[0]!;
    const pinned = first.headers['x-backend'];
    for (let i = 0; i < 100; i++) {
      const r = await request(port, '/', { headers: { cookie } });
      assert.equal(r.headers['x-backend'], pinned);
      assert.equal(r.headers['set-cookie'], undefined, 'a valid cookie is not re-issued');
    }
  });

  it('ignores and replaces a tampered cookie', async () => {
    const port = cluster.dps[0]!.port;
    const first = await request(port, '/');
    const cookie = first.headers['set-cookie']![0]!.split(';')[0]!;
    const tampered = cookie.slice(0, -3) + (cookie.endsWith('AAA') ? 'BBB' : 'AAA');
    const r = await request(port, '/', { headers: { cookie: tampered } });
    assert.equal(r.status, 200);
    assert.ok(r.headers['set-cookie']?.[0]?.startsWith('GOLB_SESSION='), 'a fresh cookie replaces the forged one');
    const garbage = await request(port, '/', { headers: { cookie: 'GOLB_SESSION=%%%not-a-cookie' } });
    assert.equal(garbage.status, 200);
    assert.ok(garbage.headers['set-cookie']);
  });

  it('moves the client and re-issues the cookie when its backend stops', async () => {
    const port = cluster.dps[0]!.port;
    const first = await request(port, '/');
    const cookie = first.headers['set-cookie']![0]!.split(';')[0]!;
    const pinned = backends.find((b) => b.name === first.headers['x-backend'])!;
    pinned.kill();
    const r = await request(port, '/', { headers: { cookie } });
    assert.equal(r.status, 200, 'the request is retried on a live backend');
    assert.notEqual(r.headers['x-backend'], pinned.name);
    const renewed = r.headers['set-cookie']?.[0]?.split(';')[0];
    assert.ok(renewed && renewed !== cookie, 'the client gets a cookie for its new backend');
    const again = await request(port, '/', { headers: { cookie: renewed } });
    assert.equal(again.headers['x-backend'], r.headers['x-backend']);
  });
});

describe('ip hash through the proxy', () => {
  let backends: FakeBackend[];
  let cluster: Cluster;
  before(async () => {
    backends = await fakes(3);
    cluster = await startCluster(`method ip_hash\n` + backends.map((b) => `backend ${b.url}`).join('\n') + '\n');
  });
  after(async () => {
    await cluster.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('keeps each client address on one backend, whatever X-Forwarded-For it sends', async () => {
    const port = cluster.dps[0]!.port;
    const seen = new Map<string, Set<string>>();
    for (let n = 2; n <= 21; n++) {
      const localAddress = `127.0.0.${n}`;
      const agent = new http.Agent({ keepAlive: false });
      for (let i = 0; i < 10; i++) {
        const r = await request(port, '/', { localAddress, agent, headers: { 'x-forwarded-for': `10.0.${i}.${n}` } });
        assert.equal(r.status, 200);
        const set = seen.get(localAddress) ?? new Set();
        set.add(String(r.headers['x-backend']));
        seen.set(localAddress, set);
      }
    }
    for (const [addr, set] of seen) assert.equal(set.size, 1, `${addr} was served by ${[...set].join(', ')}`);
    const used = new Set([...seen.values()].map((s) => [...s][0]));
    assert.ok(used.size >= 2, 'twenty addresses do not all hash to one backend');
    const forwarded = backends.flatMap((b) => b.requests).map((r) => r.headers['x-forwarded-for']).filter((x) => x !== undefined);
    assert.equal(forwarded.length, 200);
    for (const xff of forwarded) assert.match(String(xff), /^127\.0\.0\.\d+$/, 'the spoofed X-Forwarded-For never reaches the backend');
  });
});

describe('consistent hash through the proxy', () => {
  let backends: FakeBackend[];
  let cluster: Cluster;
  before(async () => {
    backends = await fakes(4);
    cluster = await startCluster(
      `method consistent_hash\nhash_key header:X-User\nhealth_check off\n` + backends.map((b) => `backend ${b.url}`).join('\n') + '\n',
    );
  });
  after(async () => {
    await cluster.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  async function placement(keys: number): Promise<string[]> {
    const port = cluster.dps[0]!.port;
    const out: string[] = new Array(keys);
    for (let start = 0; start < keys; start += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, keys - start) }, async (_, j) => {
          const k = start + j;
          const r = await request(port, '/item', { headers: { 'x-user': `user-${k}` } });
          out[k] = String(r.headers['x-backend']);
        }),
      );
    }
    return out;
  }

  it('moves only the removed backend’s keys when one of 4 is removed (10 000 keys)', async () => {
    const before = await placement(10_000);
    assert.equal(new Set(before).size, 4);
    const removed = backends[2]!;
    const res = await cluster.reload(
      `method consistent_hash\nhash_key header:X-User\nhealth_check off\n` +
        backends.filter((b) => b !== removed).map((b) => `backend ${b.url}`).join('\n') + '\n',
    );
    assert.ok(res.ok, JSON.stringify(res));
    await waitFor('data plane on the new version', () => cluster.dps[0]!.version() === res.version);
    const afterRemoval = await placement(10_000);
    let moved = 0;
    for (let k = 0; k < 10_000; k++) {
      if (before[k] === removed.name) assert.notEqual(afterRemoval[k], removed.name);
      else if (before[k] !== afterRemoval[k]) moved++;
    }
    assert.equal(moved, 0, 'keys of the remaining backends stay where they were');
  });
});
