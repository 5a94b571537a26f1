pragma circom 2.1.5;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "lib/merkle.circom";
include "lib/commitment.circom";
include "l1-slot.circom";
include "l2-slot.circom";
include "fee.circom";

// The Rampart batch circuit: proves that applying a batch to the state with root `oldRoot` gives
// `newRoot`, exactly as src/core/stf.ts applyBatch does (docs/PROTOCOL.md §4–§8):
//   maxL1Ops L1 slots (ops 0..l1Count-1, in queue order), then maxL2Txs L2 slots (the included
//   transactions 0..txCount-1), then fee settlement in table order.
// Its single public input is inputHash (§8), which binds the roots, the counters, the exit root,
// the data commitment (c, z, f) and the deployment's domain.
//
// Parameters: levels = state tree depth / 2 (4-ary), exitLevels = exit tree depth / 2, and the
// fixed layout maxL1Ops / maxL2Txs / maxFeeTokens (each >= 1).
template Batch(levels, exitLevels, maxL1Ops, maxL2Txs, maxFeeTokens) {
    var D = 2 * levels;
    assert(levels >= 1 && levels <= 16);
    assert(exitLevels >= 1 && exitLevels <= 16);
    assert(maxL1Ops >= 1 && maxL1Ops < (1 << 16));
    assert(maxL2Txs >= 1);
    assert(maxFeeTokens >= 1 && maxFeeTokens <= 8);
    // Every batch position owns an exit slot (stf.ts: batch-full never applies inside the layout).
    assert(maxL1Ops + maxL2Txs <= 4 ** exitLevels);

    signal input inputHash;

    signal input oldRoot;
    signal input newRoot;
    signal input exitRoot;
    signal input batchNum;
    signal input l1Start;
    signal input oldNextIndex;
    signal input newNextIndex;
    signal input z;
    signal input domain;

    // Slot i is active iff i < l1Count (resp. txCount): flags are boolean and non-increasing, so the
    // count (their sum, bound by inputHash) fixes them.
    signal input l1Active[maxL1Ops];
    signal input l2Active[maxL2Txs];

    signal input l1Kind[maxL1Ops][4];
    signal input l1Address[maxL1Ops];
    signal input l1TokenId[maxL1Ops];
    signal input l1Amount[maxL1Ops];
    signal input l1FromIdx[maxL1Ops];
    signal input l1ToIdx[maxL1Ops];
    signal input l1Ax[maxL1Ops];
    signal input l1Ay[maxL1Ops];
    signal input l1LeafA[maxL1Ops];
    signal input l1AccountA[maxL1Ops][6];
    signal input l1SiblingsA[maxL1Ops][levels][3];
    signal input l1LeafB[maxL1Ops];
    signal input l1AccountB[maxL1Ops][6];
    signal input l1SiblingsB[maxL1Ops][levels][3];

    signal input feeTokenId[maxFeeTokens];
    signal input feeAccountIdx[maxFeeTokens];
    signal input feeAmount[maxFeeTokens];
    signal input feeLeaf[maxFeeTokens];
    signal input feeAccount[maxFeeTokens][6];
    signal input feeSiblings[maxFeeTokens][levels][3];

    signal input txFrom[maxL2Txs];
    signal input txTo[maxL2Txs];
    signal input txAmountF[maxL2Txs];
    signal input txMaxFeeF[maxL2Txs];
    signal input txR8x[maxL2Txs];
    signal input txR8y[maxL2Txs];
    signal input txS[maxL2Txs];
    signal input txLeafS[maxL2Txs];
    signal input txAccountS[maxL2Txs][6];
    signal input txSiblingsS[maxL2Txs][levels][3];
    signal input txLeafR[maxL2Txs];
    signal input txAccountR[maxL2Txs][6];
    signal input txSiblingsR[maxL2Txs][levels][3];

    // --- counters ---------------------------------------------------------------------------------
    var l1Count = 0;
    for (var i = 0; i < maxL1Ops; i++) {
        l1Active[i] * (l1Active[i] - 1) === 0;
        if (i > 0) l1Active[i] * (1 - l1Active[i - 1]) === 0;
        l1Count += l1Active[i];
    }
    var txCount = 0;
    for (var j = 0; j < maxL2Txs; j++) {
        l2Active[j] * (l2Active[j] - 1) === 0;
        if (j > 0) l2Active[j] * (1 - l2Active[j - 1]) === 0;
        txCount += l2Active[j];
    }
    // Every packed field is range-checked, so the packing is unique (l1Count < 2^16 and txCount <
    // 2^32 by the asserts above).
    component batchNumBits = Num2Bits(64);
    batchNumBits.in <== batchNum;
    component l1StartBits = Num2Bits(64);
    l1StartBits.in <== l1Start;
    component oldNextBits = Num2Bits(32);
    oldNextBits.in <== oldNextIndex;
    component newNextBits = Num2Bits(32);
    newNextBits.in <== newNextIndex;
    var counters = batchNum + oldNextIndex * (1 << 64) + newNextIndex * (1 << 96) + l1Start * (1 << 128) + l1Count * (1 << 192) + txCount * (1 << 208);

    // Accounts are exactly 1..nextIndex-1 and nextIndex <= 2^D: index 0 is never created, and the
    // tree-full test of the L1 slots (nextIndex == 2^D) is exact.
    signal oldNextInv;
    oldNextInv <-- 1 / oldNextIndex;
    oldNextIndex * oldNextInv === 1;
    if (D < 32) {
        component room = Num2Bits(D + 1);
        room.in <== (1 << D) - oldNextIndex;
    }

    // --- L1 slots ---------------------------------------------------------------------------------
    component l1[maxL1Ops];
    signal root[maxL1Ops + maxL2Txs + maxFeeTokens + 1];
    signal nextIndex[maxL1Ops + 1];
    root[0] <== oldRoot;
    nextIndex[0] <== oldNextIndex;
    for (var i = 0; i < maxL1Ops; i++) {
        l1[i] = L1Slot(levels);
        l1[i].active <== l1Active[i];
        l1[i].rootIn <== root[i];
        l1[i].nextIndexIn <== nextIndex[i];
        for (var k = 0; k < 4; k++) l1[i].kind[k] <== l1Kind[i][k];
        l1[i].l1Address <== l1Address[i];
        l1[i].tokenId <== l1TokenId[i];
        l1[i].amount <== l1Amount[i];
        l1[i].fromIdx <== l1FromIdx[i];
        l1[i].toIdx <== l1ToIdx[i];
        l1[i].ax <== l1Ax[i];
        l1[i].ay <== l1Ay[i];
        l1[i].leafA <== l1LeafA[i];
        l1[i].leafB <== l1LeafB[i];
        for (var f = 0; f < 6; f++) {
            l1[i].accountA[f] <== l1AccountA[i][f];
            l1[i].accountB[f] <== l1AccountB[i][f];
        }
        for (var k = 0; k < levels; k++) {
            for (var c = 0; c < 3; c++) {
                l1[i].siblingsA[k][c] <== l1SiblingsA[i][k][c];
                l1[i].siblingsB[k][c] <== l1SiblingsB[i][k][c];
            }
        }
        root[i + 1] <== l1[i].rootOut;
        nextIndex[i + 1] <== l1[i].nextIndexOut;
    }
    nextIndex[maxL1Ops] === newNextIndex;

    // --- fee table --------------------------------------------------------------------------------
    component fees = FeeTable(maxFeeTokens);
    fees.oldNextIndex <== oldNextIndex;
    for (var k = 0; k < maxFeeTokens; k++) {
        fees.tokenId[k] <== feeTokenId[k];
        fees.accountIdx[k] <== feeAccountIdx[k];
        fees.fee[k] <== feeAmount[k];
    }

    // --- L2 slots ---------------------------------------------------------------------------------
    component l2[maxL2Txs];
    for (var j = 0; j < maxL2Txs; j++) {
        l2[j] = L2Slot(levels, maxFeeTokens);
        l2[j].enabled <== l2Active[j];
        l2[j].rootIn <== root[maxL1Ops + j];
        l2[j].domain <== domain;
        for (var k = 0; k < maxFeeTokens; k++) {
            l2[j].feeActive[k] <== fees.active[k];
            l2[j].feeToken[k] <== feeTokenId[k];
            l2[j].feeAmount[k] <== feeAmount[k];
        }
        l2[j].from <== txFrom[j];
        l2[j].to <== txTo[j];
        l2[j].amountF <== txAmountF[j];
        l2[j].maxFeeF <== txMaxFeeF[j];
        l2[j].r8x <== txR8x[j];
        l2[j].r8y <== txR8y[j];
        l2[j].s <== txS[j];
        l2[j].leafS <== txLeafS[j];
        l2[j].leafR <== txLeafR[j];
        for (var f = 0; f < 6; f++) {
            l2[j].accountS[f] <== txAccountS[j][f];
            l2[j].accountR[f] <== txAccountR[j][f];
        }
        for (var k = 0; k < levels; k++) {
            for (var c = 0; c < 3; c++) {
                l2[j].siblingsS[k][c] <== txSiblingsS[j][k][c];
                l2[j].siblingsR[k][c] <== txSiblingsR[j][k][c];
            }
        }
        root[maxL1Ops + j + 1] <== l2[j].rootOut;
    }

    // --- fee settlement ---------------------------------------------------------------------------
    component settle[maxFeeTokens];
    for (var k = 0; k < maxFeeTokens; k++) {
        var paid = 0;
        for (var j = 0; j < maxL2Txs; j++) paid += l2[j].feeMatch[k];
        settle[k] = FeeSettle(levels);
        settle[k].active <== fees.active[k];
        settle[k].tokenId <== feeTokenId[k];
        settle[k].accountIdx <== feeAccountIdx[k];
        settle[k].fee <== feeAmount[k];
        settle[k].count <== paid;
        settle[k].rootIn <== root[maxL1Ops + maxL2Txs + k];
        settle[k].leaf <== feeLeaf[k];
        for (var f = 0; f < 6; f++) settle[k].account[f] <== feeAccount[k][f];
        for (var l = 0; l < levels; l++) for (var c = 0; c < 3; c++) settle[k].siblings[l][c] <== feeSiblings[k][l][c];
        root[maxL1Ops + maxL2Txs + k + 1] <== settle[k].rootOut;
    }
    root[maxL1Ops + maxL2Txs + maxFeeTokens] === newRoot;

    // --- exits ------------------------------------------------------------------------------------
    component exits = FixedSlotTree(exitLevels, maxL1Ops + maxL2Txs);
    for (var i = 0; i < maxL1Ops; i++) exits.leaves[i] <== l1[i].exitLeaf;
    for (var j = 0; j < maxL2Txs; j++) exits.leaves[maxL1Ops + j] <== l2[j].exitLeaf;
    exits.root === exitRoot;

    // --- data commitment and public input (docs/PROTOCOL.md §8) -----------------------------------
    var N = 4 * maxL1Ops + maxFeeTokens + maxL2Txs;
    signal elements[N];
    for (var i = 0; i < maxL1Ops; i++) for (var k = 0; k < 4; k++) elements[4 * i + k] <== l1[i].element[k];
    for (var k = 0; k < maxFeeTokens; k++) elements[4 * maxL1Ops + k] <== fees.element[k];
    for (var j = 0; j < maxL2Txs; j++) elements[4 * maxL1Ops + maxFeeTokens + j] <== l2[j].element;
    component chain = ElementChain(N);
    component horner = Horner(N);
    for (var e = 0; e < N; e++) {
        chain.e[e] <== elements[e];
        horner.e[e] <== elements[e];
    }
    horner.z <== z;

    component stateHash = Poseidon(4);
    stateHash.inputs[0] <== oldRoot;
    stateHash.inputs[1] <== newRoot;
    stateHash.inputs[2] <== counters;
    stateHash.inputs[3] <== exitRoot;
    component dataHash = Poseidon(4);
    dataHash.inputs[0] <== chain.c;
    dataHash.inputs[1] <== z;
    dataHash.inputs[2] <== horner.f;
    dataHash.inputs[3] <== domain;
    component top = Poseidon(2);
    top.inputs[0] <== stateHash.out;
    top.inputs[1] <== dataHash.out;
    top.out === inputHash;
}
