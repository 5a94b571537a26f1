pragma circom 2.1.5;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "lib/account.circom";
include "lib/merkle.circom";

// The batch's fee table (docs/PROTOCOL.md §5.3): entries (tokenId, accountIdx, fee) at fixed
// positions; an entry is active iff accountIdx != 0 (index 0 is never an account), active entries
// come first, tokens of active entries are distinct, every field is range-checked (the element
// tokenId·2^160 + accountIdx·2^128 + fee must be unique), and each fee account existed before the
// batch (accountIdx < oldNextIndex; the settlement below checks it holds the token).
template FeeTable(n) {
    signal input tokenId[n];
    signal input accountIdx[n];
    signal input fee[n];
    signal input oldNextIndex;
    signal output active[n];
    signal output element[n];

    component tokenBits[n];
    component idxZero[n];
    component feeBits[n];
    component before[n];
    signal gap[n];
    for (var k = 0; k < n; k++) {
        tokenBits[k] = Num2Bits(32);
        tokenBits[k].in <== tokenId[k];
        feeBits[k] = Num2Bits(128);
        feeBits[k].in <== fee[k];
        idxZero[k] = IsZero();
        idxZero[k].in <== accountIdx[k];
        active[k] <== 1 - idxZero[k].out;
        element[k] <== tokenId[k] * (1 << 160) + accountIdx[k] * (1 << 128) + fee[k];
        (1 - active[k]) * element[k] === 0;
        if (k > 0) active[k] * (1 - active[k - 1]) === 0;
        // accountIdx <= oldNextIndex - 1: the difference fits 32 bits (it would wrap to ~p
        // otherwise). FeeSettle range-checks accountIdx itself to 32 bits (IndexBits).
        gap[k] <== active[k] * (oldNextIndex - 1 - accountIdx[k]);
        before[k] = Num2Bits(32);
        before[k].in <== gap[k];
    }
    // Distinct tokens: for k < k', entry k' active implies tokenId[k] != tokenId[k'].
    var pairs = n * (n - 1) \ 2;
    signal distinctInv[pairs + 1];
    var p = 0;
    for (var k = 0; k < n; k++) {
        for (var k2 = k + 1; k2 < n; k2++) {
            distinctInv[p] <-- tokenId[k] != tokenId[k2] ? active[k2] / (tokenId[k] - tokenId[k2]) : 0;
            (tokenId[k] - tokenId[k2]) * distinctInv[p] === active[k2];
            p++;
        }
    }
    distinctInv[pairs] <== 0;
}

// Credits one fee entry's total to its account after the last transaction (stf.ts settleFees):
// the account must exist and hold the entry's token; total = fee · (transactions that paid it),
// which must fit 128 bits (fee-overflow, equivalent to the STF's per-transaction check since the
// accumulator only grows), as must the new balance (FEE_SETTLEMENT_OVERFLOW).
template FeeSettle(levels) {
    var D = 2 * levels;
    signal input active;
    signal input tokenId;
    signal input accountIdx;
    signal input fee;
    signal input count;
    signal input rootIn;
    signal output rootOut;

    signal input leaf;
    signal input account[6];
    signal input siblings[levels][3];

    component idx = IndexBits(levels);
    idx.index <== accountIdx;
    component read = AccountRead();
    read.inRange <== idx.inRange;
    read.leaf <== leaf;
    for (var i = 0; i < 6; i++) read.account[i] <== account[i];
    read.exists === active;
    active * (account[0] - tokenId) === 0;

    signal total <== fee * count;
    component totalRange = Num2Bits(128);
    totalRange.in <== total;
    component balanceRange = Num2Bits(128);
    balanceRange.in <== account[2] + total;

    component newLeaf = AccountLeaf();
    newLeaf.packed <== read.packed + total * (1 << 72);
    newLeaf.ax <== account[3];
    newLeaf.ay <== account[4];
    newLeaf.l1Address <== account[5];

    component path = MerkleUpdate4(levels);
    for (var i = 0; i < D; i++) path.bits[i] <== idx.bits[i];
    for (var k = 0; k < levels; k++) for (var c = 0; c < 3; c++) path.siblings[k][c] <== siblings[k][c];
    path.oldLeaf <== leaf;
    path.newLeaf <== leaf + active * (newLeaf.leaf - leaf);
    path.oldRoot === rootIn;
    rootOut <== path.newRoot;
}
