pragma circom 2.1.5;

include "circomlib/circuits/bitify.circom";

// Decodes a decimal float (docs/PROTOCOL.md §5.2): bits = exponent << mBits | mantissa,
// value = mantissa · 10^exponent. Range-checks `f` to mBits + eBits bits (every pattern decodes).
// 10^e is the product over exponent bits of (bit ? 10^(2^i) : 1): eBits constraints, no lookup table.
template FloatDecode(mBits, eBits) {
    signal input f;
    signal output value;

    component n2b = Num2Bits(mBits + eBits);
    n2b.in <== f;
    var mantissa = 0;
    for (var i = 0; i < mBits; i++) mantissa += n2b.out[i] * (1 << i);

    signal pow[eBits + 1];
    pow[0] <== 1;
    var factor = 10;
    for (var i = 0; i < eBits; i++) {
        pow[i + 1] <== pow[i] * (1 + n2b.out[mBits + i] * (factor - 1));
        factor = factor * factor;
    }
    value <== mantissa * pow[eBits];
}
