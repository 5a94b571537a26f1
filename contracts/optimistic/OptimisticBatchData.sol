// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Optimistic batch data binding (docs/PROTOCOL.md §14.3): recordsRoot and stepDataHash.
/// @notice For the Rollup's commit in optimistic/multi mode, so that what it stores is exactly what
/// OneStepProver and src/core/one-step.ts (`recordsRoot`, `stepDataHash`) compute; checked byte for
/// byte against the TypeScript in test/l1/one-step.test.ts.
/// @dev Layout only: mode byte 1 and an exact length. The header's content (version, fee table) is
/// hashed as is — a defect there is shown by the one-step game (valid = false), not refused here; a
/// commit may refuse more (feeCount ≤ maxFeeTokens, txCount ≤ maxL2Txs, version 1).
library OptimisticBatchData {
    uint256 internal constant FEE_ENTRY_BYTES = 24;
    uint256 internal constant RECORD_BYTES = 78;

    error MalformedOptimisticData(string what);

    /// @return h keccak256(header ‖ recordsRoot), header = d[0 : 3 + 24·feeCount + 4]
    /// @return feeCount d[2]
    /// @return txCount the header's record count (d.length = header + 78·txCount)
    function stepDataHash(bytes calldata d) internal pure returns (bytes32 h, uint256 feeCount, uint256 txCount) {
        if (d.length < 7) revert MalformedOptimisticData("short");
        if (uint8(d[1]) != 1) revert MalformedOptimisticData("mode");
        feeCount = uint8(d[2]);
        uint256 headerLength = 3 + feeCount * FEE_ENTRY_BYTES + 4;
        if (d.length < headerLength) revert MalformedOptimisticData("short");
        txCount = uint32(bytes4(d[headerLength - 4:headerLength]));
        if (d.length != headerLength + txCount * RECORD_BYTES) revert MalformedOptimisticData("length");
        bytes32 root = recordsRoot(d[headerLength:], txCount);
        h = keccak256(abi.encodePacked(d[:headerLength], root));
    }

    /// @notice Binary keccak tree over the 78-byte records: leaf i = keccak256(record_i), width = the
    /// smallest power of two ≥ max(txCount, 1), missing leaves 0, parent = keccak256(left ‖ right).
    /// @dev Caller guarantees records.length == 78·txCount. Cost ≈ 2 keccaks per record, in place.
    function recordsRoot(bytes calldata records, uint256 txCount) internal pure returns (bytes32 root) {
        uint256 width = 1;
        while (width < txCount) width <<= 1;
        bytes32[] memory level = new bytes32[](width);
        assembly {
            let nodes := add(level, 32)
            let scratch := mload(0x40)
            for { let i := 0 } lt(i, txCount) { i := add(i, 1) } {
                calldatacopy(scratch, add(records.offset, mul(i, 78)), 78)
                mstore(add(nodes, shl(5, i)), keccak256(scratch, 78))
            }
            for {} gt(width, 1) {} {
                width := shr(1, width)
                for { let i := 0 } lt(i, width) { i := add(i, 1) } {
                    mstore(0, mload(add(nodes, shl(6, i))))
                    mstore(32, mload(add(nodes, add(shl(6, i), 32))))
                    mstore(add(nodes, shl(5, i)), keccak256(0, 64))
                }
            }
            root := mload(nodes)
        }
    }
}
