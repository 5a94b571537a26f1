// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Adjudicator} from "../channels/Adjudicator.sol";

/// @notice Test-only contract participant: opens a channel with ETH, force-closes it on the opening
/// state and, depending on `mode`, accepts payouts, refuses them, or tries to re-enter the adjudicator
/// while being paid. Shows deferred payouts and the reentrancy guard.
contract ChannelUser {
    enum Mode {
        Accept,
        Reject,
        Reenter
    }

    Adjudicator public immutable adjudicator;
    Mode public mode;
    bytes32 public channelId;
    bool public reentryBlocked;

    constructor(Adjudicator adjudicator_) {
        adjudicator = adjudicator_;
    }

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function open(Adjudicator.ChannelParams calldata p) external payable {
        channelId = adjudicator.open{value: msg.value}(p, msg.value, 0);
    }

    function forceCloseInitial(uint256 balance, uint256 otherBalance) external {
        Adjudicator.State memory s = Adjudicator.State(channelId, 0, balance, otherBalance, false);
        adjudicator.forceClose(s, "", "");
    }

    function withdraw() external {
        adjudicator.withdraw(address(0));
    }

    receive() external payable {
        if (mode == Mode.Reject) revert("refused");
        if (mode == Mode.Reenter) {
            try adjudicator.settle(channelId) {} catch { reentryBlocked = true; }
            try adjudicator.withdraw(address(0)) {} catch { reentryBlocked = true; }
        }
    }
}
