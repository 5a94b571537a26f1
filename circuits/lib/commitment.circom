pragma circom 2.1.5;

include "circomlib/circuits/poseidon.circom";

// c = Poseidon chain over the batch's fixed-layout elements (docs/PROTOCOL.md §8):
// c0 = 0, c <- Poseidon([c, e_3k, e_3k+1, e_3k+2]), zero-padded to a multiple of 3.
// Cost: ceil(n/3) Poseidon(4), ≈ 100 constraints per element.
template ElementChain(n) {
    signal input e[n];
    signal output c;
    var rounds = (n + 2) \ 3;
    component h[rounds];
    signal acc[rounds + 1];
    acc[0] <== 0;
    for (var r = 0; r < rounds; r++) {
        h[r] = Poseidon(4);
        h[r].inputs[0] <== acc[r];
        for (var i = 0; i < 3; i++) {
            if (3 * r + i < n) {
                h[r].inputs[i + 1] <== e[3 * r + i];
            } else {
                h[r].inputs[i + 1] <== 0;
            }
        }
        acc[r + 1] <== h[r].out;
    }
    c <== acc[rounds];
}

// f = Σ e_j · z^j by Horner's rule from the top: one constraint per element.
template Horner(n) {
    signal input e[n];
    signal input z;
    signal output f;
    signal acc[n];
    acc[n - 1] <== e[n - 1];
    for (var j = n - 2; j >= 0; j--) {
        acc[j] <== acc[j + 1] * z + e[j];
    }
    f <== acc[0];
}
