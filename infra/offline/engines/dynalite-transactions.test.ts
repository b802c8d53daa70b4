import { describe, expect, it } from 'vitest';
import { itemLock, LockManager, type LockMode } from './dynalite-transactions.ts';

// Grants happen synchronously or in microtasks, so once the queue has drained every grant that can happen has happened.
const settle = () => new Promise((r) => setImmediate(r));

/** An acquisition whose grant the test can observe. */
function request(locks: LockManager, wanted: Array<[string, LockMode]>) {
  const state = { granted: false, release: () => {} };
  void locks.acquire(wanted).then((release) => {
    state.granted = true;
    state.release = release;
  });
  return state;
}

describe('LockManager', () => {
  it('lets holders of one mode share a lock, except exclusive ones', async () => {
    const locks = new LockManager();
    const readers = [request(locks, [['a', 'shared']]), request(locks, [['a', 'shared']])];
    const intents = [request(locks, [['b', 'intent']]), request(locks, [['b', 'intent']])];
    const writers = [request(locks, [['c', 'exclusive']]), request(locks, [['c', 'exclusive']])];
    await settle();
    expect([...readers, ...intents].every((r) => r.granted)).toBe(true);
    expect(writers.map((w) => w.granted)).toEqual([true, false]);
    writers[0]!.release();
    await settle();
    expect(writers[1]!.granted).toBe(true);
  });

  it('keeps table readers and transactions apart, first come first served, so neither starves', async () => {
    const locks = new LockManager();
    const tx1 = request(locks, [['T', 'intent']]);
    const query = request(locks, [['T', 'shared']]);
    const tx2 = request(locks, [['T', 'intent']]);
    const query2 = request(locks, [['T', 'shared']]);
    await settle();
    // tx2 is compatible with tx1 but does not overtake the query queued before it.
    expect([tx1.granted, query.granted, tx2.granted, query2.granted]).toEqual([true, false, false, false]);
    tx1.release();
    await settle();
    expect([query.granted, tx2.granted, query2.granted]).toEqual([true, false, false]);
    query.release();
    await settle();
    expect([tx2.granted, query2.granted]).toEqual([true, false]);
    tx2.release();
    await settle();
    expect(query2.granted).toBe(true);
  });

  it('grants a run of compatible waiters together once the writer ahead of them leaves', async () => {
    const locks = new LockManager();
    const writer = request(locks, [['x', 'exclusive']]);
    const readers = [1, 2, 3].map(() => request(locks, [['x', 'shared']]));
    const lateWriter = request(locks, [['x', 'exclusive']]);
    await settle();
    writer.release();
    await settle();
    expect(readers.every((r) => r.granted)).toBe(true);
    expect(lateWriter.granted).toBe(false);
    for (const r of readers) r.release();
    await settle();
    expect(lateWriter.granted).toBe(true);
  });

  it('takes a request’s locks in sorted order, whatever order they are asked in', async () => {
    const locks = new LockManager();
    const holder = request(locks, [['1|a', 'exclusive']]);
    const both = request(locks, [
      ['1|b', 'exclusive'],
      ['1|a', 'exclusive'],
    ]);
    await settle();
    // `both` waits for 1|a before taking 1|b, so 1|b is still free for others: no hold-and-wait in reverse order.
    const other = request(locks, [['1|b', 'exclusive']]);
    await settle();
    expect([holder.granted, both.granted, other.granted]).toEqual([true, false, true]);
    holder.release();
    other.release();
    await settle();
    expect(both.granted).toBe(true);
  });

  it('ignores a second release, and frees a lock once its last holder leaves', async () => {
    const locks = new LockManager();
    const a = request(locks, [['k', 'shared']]);
    const b = request(locks, [['k', 'shared']]);
    const writer = request(locks, [['k', 'exclusive']]);
    await settle();
    a.release();
    a.release();
    await settle();
    expect(writer.granted).toBe(false);
    b.release();
    await settle();
    expect(writer.granted).toBe(true);
    writer.release();
    const next = request(locks, [['k', 'intent']]);
    await settle();
    expect(next.granted).toBe(true);
  });

  it('never deadlocks two requests taking the same locks in opposite orders', async () => {
    const locks = new LockManager();
    let done = 0;
    const work = (wanted: Array<[string, LockMode]>) =>
      locks.acquire(wanted).then(async (release) => {
        await settle();
        release();
        done++;
      });
    const names = ['0|t1', '0|t2', '1|t1|x', '1|t2|y'];
    const modes: LockMode[] = ['shared', 'intent', 'exclusive'];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const order = i % 2 ? names : [...names].reverse();
        return work(order.filter((_, j) => (i >> j) & 1).map((n) => [n, modes[(i + n.length) % 3]!]));
      }),
    );
    expect(done).toBe(200);
  });
});

describe('item lock names', () => {
  it('name an item by its key whatever the attribute order or the spelling of a number', () => {
    const a = itemLock('t', { pk: { S: 'x' }, sk: { N: '1' } });
    expect(itemLock('t', { sk: { N: '1.0' }, pk: { S: 'x' } })).toBe(a);
    expect(itemLock('t', { pk: { S: 'x' }, sk: { N: '1e0' } })).toBe(a);
    expect(itemLock('t', { pk: { S: 'x' }, sk: { N: '2' } })).not.toBe(a);
    expect(itemLock('t', { pk: { S: 'x' }, sk: { S: '1' } })).not.toBe(a);
    expect(itemLock('u', { pk: { S: 'x' }, sk: { N: '1' } })).not.toBe(a);
  });
});
