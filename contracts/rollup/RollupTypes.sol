// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The Rollup's records that other contracts read or take as arguments, declared once: the
/// DisputeGame decodes `Rollup.assertions(id)` and `Rollup.batches(n)` into them (a static tuple is
/// ABI-encoded exactly like a struct of the same fields), and the SequencerRegistry hashes a
/// `CommitHeader` as the message a sequencer signs (docs/PROTOCOL.md §11, §11.3, §14.1).

struct CommitHeader {
    uint256 newRoot;
    uint256 exitRoot;
    /// @dev c: the Poseidon chain over the batch's elements (docs/PROTOCOL.md §8).
    uint256 dataCommitment;
    uint32 newNextIndex;
    uint16 l1Count;
}

/// @notice A mode-1/2 commit: everything a dispute over it needs, kept by commitId (not by batch
/// number) so a commit removed by a fraud proof stays addressable after its number is reused.
struct Assertion {
    bytes32 stepDataHash;
    bytes32 recordsRoot;
    address committer;
    /// @dev 0 once returned (finality, removal) or slashed.
    uint96 bond;
    uint64 batchNum;
    uint16 l1Count;
    uint32 txCount;
    uint8 feeCount;
    /// @dev Multi mode: the unpaid proving reward (msg.value beyond the bond); Batch.proverReward stays 0.
    uint96 proverReward;
}

/// @notice A committed batch (`Rollup.batches(n)`).
struct Batch {
    uint256 inputHash;
    uint256 stateRoot;
    uint256 exitRoot;
    uint64 l1End;
    uint32 nextIndex;
    uint64 committedAt;
    bool proven;
    /// @dev Who committed the batch (the sequencer, or a self-sequencer) and the ETH it attached as
    /// the proving reward; appended so the getter's first seven fields keep their positions.
    address committer;
    uint96 proverReward;
}
