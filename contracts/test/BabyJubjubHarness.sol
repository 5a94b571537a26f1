// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BabyJubjub, IPoseidon5} from "../optimistic/BabyJubjub.sol";

/// @notice Test-only: exposes the BabyJubjub library's internal functions so tests can check EdDSA
/// agreement with src/core/eddsa.ts and the bench can measure one verification alone.
contract BabyJubjubHarness {
    IPoseidon5 public immutable poseidon5;

    constructor(IPoseidon5 p5) {
        poseidon5 = p5;
    }

    function verify(uint256 r8x, uint256 r8y, uint256 s, uint256 ax, uint256 ay, uint256 message) external view returns (bool) {
        return BabyJubjub.verify(r8x, r8y, s, ax, ay, message, poseidon5);
    }

    /// @param sig circomlib's packSignature output: packed R8 (32) ‖ S little-endian (32).
    function verifyPacked(bytes calldata sig, uint256 ax, uint256 ay, uint256 message) external view returns (bool) {
        bytes memory m = sig;
        return BabyJubjub.verifyPacked(BabyJubjub.readLE(m, 0), BabyJubjub.readLE(m, 32), ax, ay, message, poseidon5);
    }

    function unpackPoint(bytes calldata packed) external view returns (bool ok, uint256 x, uint256 y) {
        bytes memory m = packed;
        return BabyJubjub.unpackPoint(BabyJubjub.readLE(m, 0));
    }
}
