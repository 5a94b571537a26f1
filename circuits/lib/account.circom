pragma circom 2.1.5;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// Account fields as the circuit carries them: [tokenId, nonce, balance, Ax, Ay, l1Address].
// Leaf = Poseidon([tokenId + nonce·2^32 + balance·2^72, Ax, Ay, l1Address]) (docs/PROTOCOL.md §4).

// tokenId + nonce·2^32 + balance·2^72, with no range checks (callers range-check what they read).
function packAccountState(tokenId, nonce, balance) {
    return tokenId + nonce * (1 << 32) + balance * (1 << 72);
}

// Splits a 32-bit account index into the tree's path bits. `inRange` is 1 iff the index can name an
// account: index != 0 (reserved) and index < 2^(2·levels) (the tree's size; an index above it would
// otherwise alias the leaf at index mod 2^(2·levels)). Range-checks the index to 32 bits.
template IndexBits(levels) {
    signal input index;
    signal output bits[2 * levels];
    signal output inRange;

    component n2b = Num2Bits(32);
    n2b.in <== index;
    for (var i = 0; i < 2 * levels; i++) bits[i] <== n2b.out[i];

    component isZero = IsZero();
    isZero.in <== index;
    if (2 * levels < 32) {
        var high = 0;
        for (var i = 2 * levels; i < 32; i++) high += n2b.out[i];
        component highZero = IsZero();
        highZero.in <== high;
        inRange <== highZero.out * (1 - isZero.out);
    } else {
        inRange <== 1 - isZero.out;
    }
}

// Reads the leaf at one tree position. The leaf value itself is a witness that the caller's
// MerkleUpdate4 verifies against the running root, so `exists` follows from the state, not from
// the prover: exists = inRange && leaf != 0 (accounts are exactly the non-zero leaves at 1..2^D-1).
// An existing account's preimage must hash to the leaf, range-checked so the packing is unique
// (tokenId 32, nonce 40, balance 128 bits); a missing account's preimage is all zero, so nothing
// downstream can read prover-chosen values from an empty slot.
template AccountRead() {
    signal input inRange;
    signal input leaf;
    signal input account[6];
    signal output exists;
    signal output packed;

    component tokenBits = Num2Bits(32);
    tokenBits.in <== account[0];
    component nonceBits = Num2Bits(40);
    nonceBits.in <== account[1];
    component balanceBits = Num2Bits(128);
    balanceBits.in <== account[2];
    packed <== packAccountState(account[0], account[1], account[2]);

    component leafZero = IsZero();
    leafZero.in <== leaf;
    exists <== inRange * (1 - leafZero.out);

    component h = Poseidon(4);
    h.inputs[0] <== packed;
    h.inputs[1] <== account[3];
    h.inputs[2] <== account[4];
    h.inputs[3] <== account[5];
    exists * (h.out - leaf) === 0;

    // packed = 0 forces tokenId, nonce and balance to 0 (unique packing above).
    (1 - exists) * packed === 0;
    (1 - exists) * account[3] === 0;
    (1 - exists) * account[4] === 0;
    (1 - exists) * account[5] === 0;
}

// The leaf of an account given its packed state and key/address.
template AccountLeaf() {
    signal input packed;
    signal input ax;
    signal input ay;
    signal input l1Address;
    signal output leaf;
    component h = Poseidon(4);
    h.inputs[0] <== packed;
    h.inputs[1] <== ax;
    h.inputs[2] <== ay;
    h.inputs[3] <== l1Address;
    leaf <== h.out;
}
