// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What one step of a batch is re-executed against (docs/PROTOCOL.md §14, spec-optimistic.md).
/// Every field is read from the Rollup's committed data by the dispute game, never from a party.
struct BatchContext {
    uint64 l1Start; // queue index of the batch's first L1 op
    uint32 startNextIndex; // nextIndex before the batch: fee accounts must lie below it
    uint16 l1Count;
    uint32 txCount;
    uint8 feeCount;
    bytes32 stepDataHash; // keccak256(header ‖ recordsRoot)
}

/// @notice Stateless re-execution of exactly one step of a batch (contracts/optimistic/OneStepProver.sol).
/// Declared in its own file so the dispute game and the prover import one definition.
interface IOneStepProver {
    /// valid = false: step `step` is an L2 record (or fee entry) the STF rejects (the batch is invalid).
    /// Otherwise postState is the step state after the step. Reverts with a typed error when `proof`
    /// does not match `preState` or the committed data (queue item, records root, fee table).
    function executeStep(BatchContext calldata ctx, uint256 step, bytes32 preState, bytes calldata proof)
        external
        view
        returns (bool valid, bytes32 postState);
}
