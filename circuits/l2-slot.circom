pragma circom 2.1.5;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "lib/account.circom";
include "lib/merkle.circom";
include "lib/float.circom";
include "lib/signature.circom";

// One L2 transaction slot (docs/PROTOCOL.md §5.2). An active slot holds an included transaction and
// must satisfy EVERY validity rule of §5.2 — the circuit has no rejected transactions, only ones
// the sequencer left out. A transfer has to != 0; a withdraw has to = 0 and writes its exit leaf.
// An inactive slot (index >= txCount) carries all-zero data, reads index 0 twice and changes nothing.
//
// Updates in STF order: sender (index `from`), then recipient (index `to`; a no-op for a withdraw).
template L2Slot(levels, maxFeeTokens) {
    var D = 2 * levels;
    var MAX_NONCE = (1 << 40) - 1;

    signal input enabled;
    signal input rootIn;
    signal input domain;
    signal output rootOut;
    signal output element;
    signal output exitLeaf;

    // Fee table (shared by all slots): entry k is active, for token feeToken[k], costs fee[k].
    signal input feeActive[maxFeeTokens];
    signal input feeToken[maxFeeTokens];
    signal input feeAmount[maxFeeTokens];
    // 1 where this transaction pays entry k (its sender's token); at most one.
    signal output feeMatch[maxFeeTokens];

    // The record (from, to, amountF) is posted; maxFeeF, nonce and the signature are not.
    signal input from;
    signal input to;
    signal input amountF;
    signal input maxFeeF;
    signal input r8x;
    signal input r8y;
    signal input s;

    signal input leafS;
    signal input accountS[6];
    signal input siblingsS[levels][3];
    signal input leafR;
    signal input accountR[6];
    signal input siblingsR[levels][3];

    // --- data -------------------------------------------------------------------------------------
    component fromIdx = IndexBits(levels);
    fromIdx.index <== from;
    component toIdx = IndexBits(levels);
    toIdx.index <== to;
    component amountDec = FloatDecode(27, 5);
    amountDec.f <== amountF;
    component maxFeeDec = FloatDecode(11, 5);
    maxFeeDec.f <== maxFeeF;
    signal amount <== amountDec.value;

    element <== from * (1 << 64) + to * (1 << 32) + amountF;
    (1 - enabled) * element === 0;
    (1 - enabled) * maxFeeF === 0;

    // --- reads ------------------------------------------------------------------------------------
    component readS = AccountRead();
    readS.inRange <== fromIdx.inRange;
    readS.leaf <== leafS;
    for (var i = 0; i < 6; i++) readS.account[i] <== accountS[i];
    component readR = AccountRead();
    readR.inRange <== toIdx.inRange;
    readR.leaf <== leafR;
    for (var i = 0; i < 6; i++) readR.account[i] <== accountR[i];
    var tokenS = accountS[0];
    var nonceS = accountS[1];
    var balanceS = accountS[2];

    component toZero = IsZero();
    toZero.in <== to;
    signal isTransfer <== 1 - toZero.out;

    // 1. unknown-sender
    readS.exists === enabled;
    // 2. unknown-recipient, self-transfer, token-mismatch (transfer only; a withdraw reads index 0,
    //    which never exists)
    readR.exists === isTransfer;
    signal selfInv;
    selfInv <-- from != to ? isTransfer / (from - to) : 0;
    (from - to) * selfInv === isTransfer;
    isTransfer * (accountR[0] - tokenS) === 0;
    // 3. bad-nonce is the signature's job (the signed nonce is the account's); nonce-overflow:
    signal nonceInv;
    nonceInv <-- nonceS != MAX_NONCE ? enabled / (nonceS - MAX_NONCE) : 0;
    (nonceS - MAX_NONCE) * nonceInv === enabled;
    // 4. zero-amount, amount-too-large
    signal amountInv;
    amountInv <-- amount != 0 ? enabled / amount : 0;
    amount * amountInv === enabled;
    component amountRange = Num2Bits(128);
    amountRange.in <== amount;
    // 5. fee-above-max: the fee is the table's fee for the sender's token (0 if none).
    component tokenEq[maxFeeTokens];
    signal feeOn[maxFeeTokens];
    signal feePart[maxFeeTokens];
    var fee = 0;
    for (var k = 0; k < maxFeeTokens; k++) {
        tokenEq[k] = IsEqual();
        tokenEq[k].in[0] <== feeToken[k];
        tokenEq[k].in[1] <== tokenS;
        feeOn[k] <== enabled * feeActive[k];
        feeMatch[k] <== feeOn[k] * tokenEq[k].out;
        feePart[k] <== feeMatch[k] * feeAmount[k];
        fee += feePart[k];
    }
    component feeCap = Num2Bits(128);
    feeCap.in <== maxFeeDec.value - fee;
    // 6. insufficient-balance
    signal newBalanceS <== balanceS - amount - fee;
    component senderRange = Num2Bits(128);
    senderRange.in <== newBalanceS;
    // 7. balance-overflow
    signal credit <== isTransfer * amount;
    component recipientRange = Num2Bits(128);
    recipientRange.in <== accountR[2] + credit;
    // 8. fee-overflow: checked once on the batch's totals (Batch), which is equivalent because the
    //    accumulators only grow.
    // 9. bad-signature, over Poseidon([domain, type | from·2^8 | to·2^40 | nonce·2^72 | amountF·2^112 | maxFeeF·2^144]).
    var body = (2 - isTransfer) + from * (1 << 8) + to * (1 << 40) + nonceS * (1 << 72) + amountF * (1 << 112) + maxFeeF * (1 << 144);
    component msg = Poseidon(2);
    msg.inputs[0] <== domain;
    msg.inputs[1] <== body;
    component sig = TxSignature();
    sig.enabled <== enabled;
    sig.ax <== accountS[3];
    sig.ay <== accountS[4];
    sig.r8x <== r8x;
    sig.r8y <== r8y;
    sig.s <== s;
    sig.msg <== msg.out;
    // 10. batch-full: the slot exists, so the batch is not full.

    // --- effects ----------------------------------------------------------------------------------
    component newS = AccountLeaf();
    newS.packed <== packAccountState(tokenS, nonceS + 1, newBalanceS);
    newS.ax <== accountS[3];
    newS.ay <== accountS[4];
    newS.l1Address <== accountS[5];
    signal newLeafS <== leafS + enabled * (newS.leaf - leafS);

    component newR = AccountLeaf();
    newR.packed <== readR.packed + credit * (1 << 72);
    newR.ax <== accountR[3];
    newR.ay <== accountR[4];
    newR.l1Address <== accountR[5];
    signal newLeafR <== leafR + isTransfer * (newR.leaf - leafR);

    component pathS = MerkleUpdate4(levels);
    for (var i = 0; i < D; i++) pathS.bits[i] <== fromIdx.bits[i];
    for (var k = 0; k < levels; k++) for (var c = 0; c < 3; c++) pathS.siblings[k][c] <== siblingsS[k][c];
    pathS.oldLeaf <== leafS;
    pathS.newLeaf <== newLeafS;
    pathS.oldRoot === rootIn;

    component pathR = MerkleUpdate4(levels);
    for (var i = 0; i < D; i++) pathR.bits[i] <== toIdx.bits[i];
    for (var k = 0; k < levels; k++) for (var c = 0; c < 3; c++) pathR.siblings[k][c] <== siblingsR[k][c];
    pathR.oldLeaf <== leafR;
    pathR.newLeaf <== newLeafR;
    pathR.oldRoot === pathS.newRoot;
    rootOut <== pathR.newRoot;

    // A withdraw pays `amount` of the sender's token to the sender's L1 address.
    signal hasExit <== enabled - isTransfer;
    component exitHash = Poseidon(3);
    exitHash.inputs[0] <== accountS[5];
    exitHash.inputs[1] <== tokenS;
    exitHash.inputs[2] <== amount;
    exitLeaf <== hasExit * exitHash.out;
}
