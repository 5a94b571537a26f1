// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Test-only stand-in for the Groth16 verifier: accepts every proof whose a[0] is non-zero, so
/// contract tests can finalise batches built by the TypeScript STF without a circuit.
contract AcceptingVerifier {
    function verifyProof(uint256[2] calldata a, uint256[2][2] calldata, uint256[2] calldata, uint256[1] calldata) external pure returns (bool) {
        return a[0] != 0;
    }
}
