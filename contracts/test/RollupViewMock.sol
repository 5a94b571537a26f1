// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPoseidon2, IPoseidon3, IPoseidon4} from "../rollup/Rollup.sol";

/// @notice Test-only: the Rollup views OneStepProver reads, with a queue the test fills directly and a
/// chosen domain digest, so the shared STF vectors (signed for their own fixed domain, with arbitrary
/// L1 addresses) can be replayed on chain. Production provers read the real Rollup (also tested).
contract RollupViewMock {
    IPoseidon2 public immutable poseidon2;
    IPoseidon3 public immutable poseidon3;
    IPoseidon4 public immutable poseidon4;
    uint256 public immutable treeDepth;
    uint256 public immutable exitTreeDepth;
    uint256 public immutable maxL1Ops;
    uint256 public immutable domainDigest;
    /// @notice keccak256 of each queued 113-byte L1 op, as Rollup.queue.
    bytes32[] public queue;

    constructor(
        IPoseidon2 p2,
        IPoseidon3 p3,
        IPoseidon4 p4,
        uint256 treeDepth_,
        uint256 exitTreeDepth_,
        uint256 maxL1Ops_,
        uint256 domainDigest_
    ) {
        poseidon2 = p2;
        poseidon3 = p3;
        poseidon4 = p4;
        treeDepth = treeDepth_;
        exitTreeDepth = exitTreeDepth_;
        maxL1Ops = maxL1Ops_;
        domainDigest = domainDigest_;
    }

    function enqueue(bytes[] calldata ops) external {
        for (uint256 i = 0; i < ops.length; i++) queue.push(keccak256(ops[i]));
    }

    function queueLength() external view returns (uint256) {
        return queue.length;
    }
}
