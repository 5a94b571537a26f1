import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SparseMerkleTree, emptySubtree, siblingsToFr, verifyMerkleProof } from '../../src/core/smt.ts';
import { frFromBytesLE, frToBytesLE } from '../../src/core/field.ts';
import { poseidon } from '../../src/core/poseidon.ts';
import { InvalidInputError } from '../../src/core/errors.ts';
import { frArb } from '../support/arbitraries.ts';

/** Naive 4-ary root: recursion over the whole index space, skipping all-empty subtrees via Z[h]. */
function naiveRoot(depth: number, leaves: ReadonlyMap<number, bigint>): bigint {
  const levels = depth / 2;
  const zero: bigint[] = [0n];
  for (let h = 1; h <= levels; h++) {
    const z = zero[h - 1] ?? 0n;
    zero.push(poseidon([z, z, z, z]));
  }
  const rec = (height: number, start: number, keys: number[]): bigint => {
    if (keys.length === 0) return zero[height] ?? 0n;
    if (height === 0) return leaves.get(start) ?? 0n;
    const quarter = 4 ** (height - 1);
    const children = [0, 1, 2, 3].map((c) =>
      rec(height - 1, start + c * quarter, keys.filter((k) => k >= start + c * quarter && k < start + (c + 1) * quarter)),
    );
    return poseidon(children);
  };
  return rec(levels, 0, [...leaves.keys()].filter((k) => (leaves.get(k) ?? 0n) !== 0n).sort((a, b) => a - b));
}

test('empty tree root is Z[depth]', () => {
  for (const depth of [2, 4, 32]) {
    assert.equal(new SparseMerkleTree(depth).root(), naiveRoot(depth, new Map()));
    assert.deepEqual(new SparseMerkleTree(depth).rootLE(), emptySubtree(depth / 2));
  }
});

const leavesArb = (depth: number, max: number) =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** depth - 1 }), frArb), { minLength: 1, maxLength: max });

test('root after single updates equals the naive full recomputation (depth 6, all slots reachable)', () => {
  fc.assert(
    fc.property(leavesArb(6, 14), (entries) => {
      const tree = new SparseMerkleTree(6);
      const leaves = new Map<number, bigint>();
      for (const [i, v] of entries) {
        tree.update(i, frToBytesLE(v));
        leaves.set(i, v);
      }
      assert.equal(tree.root(), naiveRoot(6, leaves));
    }),
    { numRuns: 25 },
  );
});

test('depth 32: sparse leaves at extreme indices match the naive recomputation; batched == sequential', () => {
  fc.assert(
    fc.property(leavesArb(32, 4), (entries) => {
      const edge: [number, bigint][] = [[0, 11n], [2 ** 32 - 1, 12n], [2 ** 31, 13n]];
      const all = [...edge, ...entries];
      const seq = new SparseMerkleTree(32);
      const leaves = new Map<number, bigint>();
      for (const [i, v] of all) {
        seq.update(i, frToBytesLE(v));
        leaves.set(i, v);
      }
      const batched = new SparseMerkleTree(32);
      batched.updateMany(all.map(([i, v]) => [i, frToBytesLE(v)] as const));
      const expected = naiveRoot(32, leaves);
      assert.equal(seq.root(), expected);
      assert.equal(batched.root(), expected);
    }),
    { numRuns: 5 },
  );
});

test('inclusion and non-inclusion proofs verify; tampered ones do not', () => {
  const depth = 10;
  const tree = new SparseMerkleTree(depth);
  tree.updateMany([[3, frToBytesLE(33n)], [700, frToBytesLE(77n)], [1023, frToBytesLE(99n)]]);
  const root = tree.root();
  for (const index of [3, 700, 1023, 0, 512]) {
    const p = tree.proof(index);
    const leaf = frFromBytesLE(p.leaf);
    const sib = siblingsToFr(p.siblings);
    assert.equal(verifyMerkleProof(root, index, leaf, sib, depth), true, `index ${index}`);
    assert.equal(verifyMerkleProof(root, index, leaf + 1n, sib, depth), false);
    if (leaf !== 0n) assert.equal(verifyMerkleProof(root, index ^ 1, leaf, sib, depth), false, 'proof bound to its index');
    const bad = [...sib];
    bad[4] = (bad[4] ?? 0n) + 1n;
    assert.equal(verifyMerkleProof(root, index, leaf, bad, depth), false);
    assert.equal(verifyMerkleProof(root, index, leaf, sib.slice(1), depth), false);
    assert.equal(sib.length, (depth / 2) * 3, 'three siblings per level');
  }
  // Non-inclusion: slot 0 is empty, so 0 verifies and any claimed value does not.
  const p0 = tree.proof(0);
  assert.equal(frFromBytesLE(p0.leaf), 0n);
  assert.equal(verifyMerkleProof(root, 0, 5n, siblingsToFr(p0.siblings), depth), false);
});

test('changes overlay: base store untouched until applied', () => {
  const tree = new SparseMerkleTree(8);
  tree.update(5, frToBytesLE(1n));
  assert.equal(tree.changes.size, 5, 'leaf + 4 ancestors at depth 8 (4 levels)');
  tree.clearChanges();
  assert.equal(tree.root(), new SparseMerkleTree(8).root());
});

test('bad indices and depths are typed errors', () => {
  assert.throws(() => new SparseMerkleTree(0), InvalidInputError);
  assert.throws(() => new SparseMerkleTree(34), InvalidInputError);
  assert.throws(() => new SparseMerkleTree(5), InvalidInputError, 'odd depth: each level takes 2 bits');
  const t = new SparseMerkleTree(4);
  assert.throws(() => t.update(16, frToBytesLE(1n)), InvalidInputError);
  assert.throws(() => t.proof(-1), InvalidInputError);
  assert.throws(() => t.proof(1.5), InvalidInputError);
  assert.throws(() => t.updateMany([[1, new Uint8Array(31)]]), InvalidInputError);
});

test('deferred leaf writes give the same roots and witnesses as eager updates, hashing shared ancestors once', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 10 - 1 }), frArb), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 4 }), (entries, every) => {
      const eager = new SparseMerkleTree(10);
      const lazy = new SparseMerkleTree(10);
      entries.forEach(([i, v], n) => {
        const w1 = eager.update(i, frToBytesLE(v));
        const w2 = lazy.setLeafDeferred(i, frToBytesLE(v));
        assert.deepEqual(w2, w1, 'witness siblings at the time of the update');
        if (n % every === 0) assert.equal(lazy.root(), eager.root());
      });
      assert.equal(lazy.root(), eager.root());
      assert.deepEqual(new Map(lazy.changes), new Map(eager.changes));
    }),
    { numRuns: 40 },
  );
});
