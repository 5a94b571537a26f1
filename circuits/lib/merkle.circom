pragma circom 2.1.5;

include "circomlib/circuits/poseidon.circom";
include "constants.circom";

// Turns a level's two index bits into a one-hot position (bits must be boolean; callers take them
// from Num2Bits). One constraint.
template PathPosition() {
    signal input b[2];
    signal output e[4];
    signal both <== b[0] * b[1];
    e[0] <== 1 - b[0] - b[1] + both;
    e[1] <== b[0] - both;
    e[2] <== b[1] - both;
    e[3] <== both;
}

// One leaf update in the 4-ary state tree (docs/PROTOCOL.md §4): the old leaf with the siblings
// gives `oldRoot`, the new leaf with the SAME siblings gives `newRoot`. At level k the path node is
// child p = bits[2k] + 2·bits[2k+1]; siblings are the other three children in position order.
// Callers constrain oldRoot to the running root; a no-op update passes newLeaf = oldLeaf.
// Cost: 2·levels Poseidon(4) + 11 constraints per level.
template MerkleUpdate4(levels) {
    signal input bits[2 * levels];
    signal input siblings[levels][3];
    signal input oldLeaf;
    signal input newLeaf;
    signal output oldRoot;
    signal output newRoot;

    component pos[levels];
    component hOld[levels];
    component hNew[levels];
    signal nodeOld[levels + 1];
    signal nodeNew[levels + 1];
    // Products that involve only siblings are shared by the old and the new path.
    signal t0[levels];
    signal t1[levels];
    signal o0[levels]; signal o1[levels]; signal o2[levels]; signal o3[levels];
    signal n0[levels]; signal n1[levels]; signal n2[levels]; signal n3[levels];

    nodeOld[0] <== oldLeaf;
    nodeNew[0] <== newLeaf;
    for (var k = 0; k < levels; k++) {
        pos[k] = PathPosition();
        pos[k].b[0] <== bits[2 * k];
        pos[k].b[1] <== bits[2 * k + 1];
        var s0 = siblings[k][0];
        var s1 = siblings[k][1];
        var s2 = siblings[k][2];
        // children = [s0, s1, s2] with the node inserted at position p:
        //   c0 = p==0 ? node : s0
        //   c1 = p==0 ? s0 : p==1 ? node : s1
        //   c2 = p<=1 ? s1 : p==2 ? node : s2
        //   c3 = p==3 ? node : s2
        t0[k] <== pos[k].e[0] * (s0 - s1);
        t1[k] <== (pos[k].e[0] + pos[k].e[1]) * (s1 - s2);

        o0[k] <== pos[k].e[0] * (nodeOld[k] - s0);
        o1[k] <== pos[k].e[1] * (nodeOld[k] - s1);
        o2[k] <== pos[k].e[2] * (nodeOld[k] - s2);
        o3[k] <== pos[k].e[3] * (nodeOld[k] - s2);
        hOld[k] = Poseidon(4);
        hOld[k].inputs[0] <== s0 + o0[k];
        hOld[k].inputs[1] <== s1 + t0[k] + o1[k];
        hOld[k].inputs[2] <== s2 + t1[k] + o2[k];
        hOld[k].inputs[3] <== s2 + o3[k];
        nodeOld[k + 1] <== hOld[k].out;

        n0[k] <== pos[k].e[0] * (nodeNew[k] - s0);
        n1[k] <== pos[k].e[1] * (nodeNew[k] - s1);
        n2[k] <== pos[k].e[2] * (nodeNew[k] - s2);
        n3[k] <== pos[k].e[3] * (nodeNew[k] - s2);
        hNew[k] = Poseidon(4);
        hNew[k].inputs[0] <== s0 + n0[k];
        hNew[k].inputs[1] <== s1 + t0[k] + n1[k];
        hNew[k].inputs[2] <== s2 + t1[k] + n2[k];
        hNew[k].inputs[3] <== s2 + n3[k];
        nodeNew[k + 1] <== hNew[k].out;
    }
    oldRoot <== nodeOld[levels];
    newRoot <== nodeNew[levels];
}

// The root of a 4-ary tree of `levels` levels whose leaves 0..n-1 are given and all others are
// empty (0): the batch exit tree, where every batch position owns a fixed slot (L1 op i -> slot i,
// L2 slot j -> maxL1Ops + j). Empty regions are the constants Z[k], so the cost is only the
// ~n/3 hashes over the used slots plus one hash per level above them.
template FixedSlotTree(levels, n) {
    signal input leaves[n];
    signal output root;

    assert(n >= 1);
    assert(n <= 4 ** levels);

    // Nodes are stored level after level: width[0] = n leaves, width[k+1] = ceil(width[k] / 4).
    var width[17];
    var offset[17];
    width[0] = n;
    offset[0] = 0;
    var total = n;
    for (var k = 0; k < levels; k++) {
        width[k + 1] = (width[k] + 3) \ 4;
        offset[k + 1] = total;
        total += width[k + 1];
    }
    component h[total - n];
    signal node[total];
    for (var i = 0; i < n; i++) node[i] <== leaves[i];
    for (var k = 0; k < levels; k++) {
        for (var p = 0; p < width[k + 1]; p++) {
            var hi = offset[k + 1] - n + p;
            h[hi] = Poseidon(4);
            for (var c = 0; c < 4; c++) {
                if (4 * p + c < width[k]) {
                    h[hi].inputs[c] <== node[offset[k] + 4 * p + c];
                } else {
                    h[hi].inputs[c] <== emptySubtree(k);
                }
            }
            node[offset[k + 1] + p] <== h[hi].out;
        }
    }
    root <== node[offset[levels]];
}
