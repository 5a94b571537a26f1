pragma circom 2.1.5;

include "circomlib/circuits/eddsaposeidon.circom";
include "constants.circom";

// a·x² + y² = 1 + d·x²·y² on Baby Jubjub (a = 168700, d = 168696). Two squarings, one check.
template OnCurve() {
    signal input x;
    signal input y;
    signal x2 <== x * x;
    signal y2 <== y * y;
    x2 * (168696 * y2) === 168700 * x2 + y2 - 1;
}

// EdDSA-Poseidon verification exactly as docs/PROTOCOL.md §2: A and R8 on the curve, S < l,
// 8·A != identity, S·B8 == R8 + 8·H(R8, A, M)·A (circomlib's verifier does the last three).
// A disabled slot must carry R8 = S = 0 and a zero key, and verifies the fixed dummy signature
// instead, so the verifier always runs enabled and an empty slot never needs prover choices.
template TxSignature() {
    signal input enabled;
    signal input ax;
    signal input ay;
    signal input r8x;
    signal input r8y;
    signal input s;
    signal input msg;

    var dummy[6] = dummySignature();
    (1 - enabled) * ax === 0;
    (1 - enabled) * ay === 0;
    (1 - enabled) * r8x === 0;
    (1 - enabled) * r8y === 0;
    (1 - enabled) * s === 0;

    // With the fields zero when disabled, choosing the dummy is linear.
    signal ax2 <== ax + (1 - enabled) * dummy[0];
    signal ay2 <== ay + (1 - enabled) * dummy[1];
    signal r8x2 <== r8x + (1 - enabled) * dummy[2];
    signal r8y2 <== r8y + (1 - enabled) * dummy[3];
    signal s2 <== s + (1 - enabled) * dummy[4];
    signal m2 <== dummy[5] + enabled * (msg - dummy[5]);

    component aOnCurve = OnCurve();
    aOnCurve.x <== ax2;
    aOnCurve.y <== ay2;
    component rOnCurve = OnCurve();
    rOnCurve.x <== r8x2;
    rOnCurve.y <== r8y2;

    component v = EdDSAPoseidonVerifier();
    v.enabled <== 1;
    v.Ax <== ax2;
    v.Ay <== ay2;
    v.S <== s2;
    v.R8x <== r8x2;
    v.R8y <== r8y2;
    v.M <== m2;
}
