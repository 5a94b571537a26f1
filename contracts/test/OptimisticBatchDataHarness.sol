// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OptimisticBatchData} from "../optimistic/OptimisticBatchData.sol";

/// @notice Test-only: exposes OptimisticBatchData so tests compare it with src/core/one-step.ts.
contract OptimisticBatchDataHarness {
    function stepDataHash(bytes calldata d) external pure returns (bytes32 h, uint256 feeCount, uint256 txCount) {
        return OptimisticBatchData.stepDataHash(d);
    }

    function recordsRoot(bytes calldata d) external pure returns (bytes32) {
        uint256 headerLength = 3 + uint256(uint8(d[2])) * 24 + 4;
        return OptimisticBatchData.recordsRoot(d[headerLength:], (d.length - headerLength) / 78);
    }
}
