// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BatchContext, IOneStepProver} from "../optimistic/IOneStepProver.sol";

/// @title TEST ONLY: a one-step prover that answers from a table the test writes.
/// @notice Stands in for contracts/optimistic/OneStepProver.sol in the dispute game's tests until the
/// real re-execution lands, so the game's logic (bisection, clocks, bonds, removal) is tested against a
/// deployed IOneStepProver. Anyone may write its table: never deploy it outside tests (deployRollup only
/// deploys the artifact it is given).
contract TableOneStepProver is IOneStepProver {
    struct Entry {
        bool set;
        bool valid;
        bytes32 postState;
    }

    /// @dev Same constructor shape as the real prover (it reads the rollup); unused here.
    address public immutable rollup;
    /// @dev keccak256(abi.encode(stepDataHash, step, preState)) => the step's outcome.
    mapping(bytes32 => Entry) public table;

    error NoTableEntry(bytes32 stepDataHash, uint256 step, bytes32 preState);

    constructor(address rollup_) {
        rollup = rollup_;
    }

    function setSteps(bytes32 stepDataHash, uint256[] calldata steps, bytes32[] calldata preStates, bool[] calldata valid, bytes32[] calldata postStates)
        external
    {
        for (uint256 i = 0; i < steps.length; i++) {
            table[keccak256(abi.encode(stepDataHash, steps[i], preStates[i]))] = Entry(true, valid[i], postStates[i]);
        }
    }

    /// @dev A pre-state the table does not know reverts, as the real prover does for a proof that does not
    /// open `preState`.
    function executeStep(BatchContext calldata ctx, uint256 step, bytes32 preState, bytes calldata)
        external
        view
        returns (bool valid, bytes32 postState)
    {
        Entry storage e = table[keccak256(abi.encode(ctx.stepDataHash, step, preState))];
        if (!e.set) revert NoTableEntry(ctx.stepDataHash, step, preState);
        return (e.valid, e.postState);
    }
}
