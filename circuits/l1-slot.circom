pragma circom 2.1.5;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "lib/account.circom";
include "lib/merkle.circom";

// One L1-operation slot (docs/PROTOCOL.md §5.1), exactly as src/core/stf.ts applyL1Op.
//
// Every slot reads two tree positions and updates them in order:
//   A = the op's own account: nextIndex (createAccount), toIdx (deposit), fromIdx (force ops);
//   B = toIdx (the forceTransfer recipient; for other kinds a no-op read).
// Whether the op applies or is a no-op is COMPUTED from the leaves read (which the Merkle paths pin
// to the state), never chosen by the prover; so is the refund. The STF's reasons are checked in a
// fixed order, but a no-op is a no-op whatever its reason, so the circuit only needs their conjunction.
// An inactive slot (index >= l1Count) must carry an all-zero op and changes nothing.
template L1Slot(levels) {
    var D = 2 * levels;

    signal input active;
    signal input rootIn;
    signal input nextIndexIn;
    signal output rootOut;
    signal output nextIndexOut;
    signal output element[4];
    signal output exitLeaf;

    // The op (docs/PROTOCOL.md §5.1; `kind` one-hot: createAccount, deposit, forceExit, forceTransfer).
    signal input kind[4];
    signal input l1Address;
    signal input tokenId;
    signal input amount;
    signal input fromIdx;
    signal input toIdx;
    signal input ax;
    signal input ay;

    // Reads: leaf, preimage [tokenId, nonce, balance, Ax, Ay, l1Address], siblings.
    signal input leafA;
    signal input accountA[6];
    signal input siblingsA[levels][3];
    signal input leafB;
    signal input accountB[6];
    signal input siblingsB[levels][3];

    // --- the op's encoding -------------------------------------------------------------------
    for (var k = 0; k < 4; k++) kind[k] * (kind[k] - 1) === 0;
    kind[0] + kind[1] + kind[2] + kind[3] === active;
    signal isCreate <== kind[0];
    signal isDeposit <== kind[1];
    signal isForceExit <== kind[2];
    signal isForceTransfer <== kind[3];
    var opType = isCreate + 2 * isDeposit + 3 * isForceExit + 4 * isForceTransfer;

    component addrBits = Num2Bits(160);
    addrBits.in <== l1Address;
    component tokenBits = Num2Bits(32);
    tokenBits.in <== tokenId;
    component amountBits = Num2Bits(128);
    amountBits.in <== amount;
    component fromBits = Num2Bits(32);
    fromBits.in <== fromIdx;
    component to = IndexBits(levels);
    to.index <== toIdx;

    // Field-aligned elements (docs/PROTOCOL.md §8); unique because every field is range-checked.
    element[0] <== opType + l1Address * (1 << 8) + tokenId * (1 << 168);
    element[1] <== amount + fromIdx * (1 << 128) + toIdx * (1 << 160);
    element[2] <== ax;
    element[3] <== ay;
    for (var k = 0; k < 4; k++) (1 - active) * element[k] === 0;

    // Unused fields are zero and used indices non-zero (decodeL1Op): one encoding per op.
    (isDeposit + isForceExit + isForceTransfer) * ax === 0;
    (isDeposit + isForceExit + isForceTransfer) * ay === 0;
    (isCreate + isDeposit) * fromIdx === 0;
    (isCreate + isForceExit) * toIdx === 0;
    (isForceExit + isForceTransfer) * tokenId === 0;
    isForceExit * amount === 0;
    signal toInv;
    toInv <-- toIdx != 0 ? (isDeposit + isForceTransfer) / toIdx : 0;
    toIdx * toInv === isDeposit + isForceTransfer;
    signal fromInv;
    fromInv <-- fromIdx != 0 ? (isForceExit + isForceTransfer) / fromIdx : 0;
    fromIdx * fromInv === isForceExit + isForceTransfer;

    // --- account A -----------------------------------------------------------------------------
    // fromIdx is 0 unless a force op, toIdx only counts for a deposit: one index, no mux.
    signal createAt <== isCreate * nextIndexIn;
    signal depositAt <== isDeposit * toIdx;
    component idxA = IndexBits(levels);
    idxA.index <== fromIdx + depositAt + createAt;

    // tree-full: nextIndex = 2^D (it never exceeds it; see Batch). At D = 32 the 32-bit nextIndex of
    // the batch header cannot reach 2^32, so the tree is never full in the circuit.
    signal full;
    if (D < 32) {
        component isFull = IsEqual();
        isFull.in[0] <== nextIndexIn;
        isFull.in[1] <== 1 << D;
        full <== isFull.out;
    } else {
        full <== 0;
    }

    component readA = AccountRead();
    readA.inRange <== idxA.inRange;
    readA.leaf <== leafA;
    for (var i = 0; i < 6; i++) readA.account[i] <== accountA[i];
    var tokenA = accountA[0];
    var nonceA = accountA[1];
    var balanceA = accountA[2];
    var l1A = accountA[5];
    // The slot at nextIndex is empty (accounts are exactly 1..nextIndex-1).
    isCreate * readA.exists === 0;

    // --- account B -----------------------------------------------------------------------------
    component readB = AccountRead();
    readB.inRange <== to.inRange;
    readB.leaf <== leafB;
    for (var i = 0; i < 6; i++) readB.account[i] <== accountB[i];
    var tokenB = accountB[0];
    var balanceB = accountB[2];

    // --- conditions (stf.ts applyL1Op) ---------------------------------------------------------
    component tokenEqA = IsEqual();
    tokenEqA.in[0] <== tokenA;
    tokenEqA.in[1] <== tokenId;
    component tokenEqAB = IsEqual();
    tokenEqAB.in[0] <== tokenA;
    tokenEqAB.in[1] <== tokenB;
    component owner = IsEqual();
    owner.in[0] <== l1A;
    owner.in[1] <== l1Address;
    component self = IsEqual();
    self.in[0] <== fromIdx;
    self.in[1] <== toIdx;
    component amountZero = IsZero();
    amountZero.in <== amount;
    component balanceZero = IsZero();
    balanceZero.in <== balanceA;

    // balance-overflow: the credited balance (A for a deposit, B for a forceTransfer) + amount
    // >= 2^128. Both terms are < 2^128, so bit 128 of the 129-bit sum is the overflow.
    signal creditDeposit <== isDeposit * balanceA;
    signal creditTransfer <== isForceTransfer * balanceB;
    component credit = Num2Bits(129);
    credit.in <== creditDeposit + creditTransfer + amount;
    signal overflow <== credit.out[128];
    // insufficient-balance: balanceA - amount + 2^128 has bit 128 set iff balanceA >= amount.
    component debit = Num2Bits(129);
    debit.in <== balanceA - amount + (1 << 128);
    signal sufficient <== debit.out[128];

    signal createFull <== isCreate * full;
    signal createApplied <== isCreate - createFull;
    // deposit: unknown-account, token-mismatch, balance-overflow
    signal depOk1 <== readA.exists * tokenEqA.out;
    signal depOk <== depOk1 * (1 - overflow);
    signal depositApplied <== isDeposit * depOk;
    // forceExit: unknown-account, not-owner, zero-balance
    signal ownedA <== readA.exists * owner.out;
    signal feOk <== ownedA * (1 - balanceZero.out);
    signal forceExitApplied <== isForceExit * feOk;
    // forceTransfer: unknown-account, not-owner, self-transfer, unknown-recipient, token-mismatch,
    // zero-amount, insufficient-balance, balance-overflow
    signal ft1 <== ownedA * (1 - self.out);
    signal ft2 <== ft1 * readB.exists;
    signal ft3 <== ft2 * tokenEqAB.out;
    signal ft4 <== ft3 * (1 - amountZero.out);
    signal ft5 <== ft4 * sufficient;
    signal ftOk <== ft5 * (1 - overflow);
    signal forceTransferApplied <== isForceTransfer * ftOk;
    signal applied <== createApplied + depositApplied + forceExitApplied + forceTransferApplied;

    // --- effects -------------------------------------------------------------------------------
    // New A: a created account starts from the op (A's preimage is zero then); the rest change the
    // balance only. Unapplied ops keep the old leaf whatever these values are.
    signal createToken <== isCreate * tokenId;
    signal createAddress <== isCreate * l1Address;
    signal amountDelta <== (isCreate + isDeposit - isForceTransfer) * amount;
    signal exitBalance <== isForceExit * balanceA;
    component newA = AccountLeaf();
    newA.packed <== packAccountState(tokenA + createToken, nonceA, balanceA + amountDelta - exitBalance);
    newA.ax <== accountA[3] + ax;
    newA.ay <== accountA[4] + ay;
    newA.l1Address <== l1A + createAddress;
    signal newLeafA <== leafA + applied * (newA.leaf - leafA);

    component newB = AccountLeaf();
    newB.packed <== readB.packed + amount * (1 << 72);
    newB.ax <== accountB[3];
    newB.ay <== accountB[4];
    newB.l1Address <== accountB[5];
    signal newLeafB <== leafB + forceTransferApplied * (newB.leaf - leafB);

    component pathA = MerkleUpdate4(levels);
    for (var i = 0; i < D; i++) pathA.bits[i] <== idxA.bits[i];
    for (var k = 0; k < levels; k++) for (var c = 0; c < 3; c++) pathA.siblings[k][c] <== siblingsA[k][c];
    pathA.oldLeaf <== leafA;
    pathA.newLeaf <== newLeafA;
    pathA.oldRoot === rootIn;

    component pathB = MerkleUpdate4(levels);
    for (var i = 0; i < D; i++) pathB.bits[i] <== to.bits[i];
    for (var k = 0; k < levels; k++) for (var c = 0; c < 3; c++) pathB.siblings[k][c] <== siblingsB[k][c];
    pathB.oldLeaf <== leafB;
    pathB.newLeaf <== newLeafB;
    pathB.oldRoot === pathA.newRoot;
    rootOut <== pathB.newRoot;

    nextIndexOut <== nextIndexIn + createApplied;

    // Exit: an applied forceExit pays the whole balance to its owner (= the op's l1Address); a
    // createAccount or deposit that is a no-op with a non-zero amount is refunded to its depositor.
    signal refundable <== createFull + isDeposit - depositApplied;
    signal refund <== refundable * (1 - amountZero.out);
    signal hasExit <== forceExitApplied + refund;
    signal exitToken <== tokenId + isForceExit * tokenA;
    component exitHash = Poseidon(3);
    exitHash.inputs[0] <== l1Address;
    exitHash.inputs[1] <== exitToken;
    exitHash.inputs[2] <== amount + exitBalance;
    exitLeaf <== hasExit * exitHash.out;
}
