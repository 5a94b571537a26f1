// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Pull payments: balances credited by the contract, paid out only when their owner asks.
/// @notice Shared by the Rollup (returned bonds and rewards) and the DisputeGame (won and refunded
/// bonds): a recipient that cannot receive ETH must never be able to block finality, a removal or a
/// game's resolution, so nothing there pushes ETH to a party; it credits `claimable` instead.
abstract contract PullPayments is ReentrancyGuard {
    /// @notice Wei owed to each address, paid by claim().
    mapping(address => uint256) public claimable;

    event Claimed(address indexed to, uint256 amount);

    error NothingToClaim();
    error TransferFailed();

    /// @notice Pays msg.sender everything credited to it (effects before the transfer; nonReentrant).
    function claim() external nonReentrant {
        uint256 amount = claimable[msg.sender];
        if (amount == 0) revert NothingToClaim();
        claimable[msg.sender] = 0;
        emit Claimed(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
