// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PullPayments} from "../common/PullPayments.sol";
import {BatchContext, IOneStepProver} from "./IOneStepProver.sol";
import {Assertion, Batch} from "../rollup/RollupTypes.sol";

/// @notice What the game reads from and does to contracts/rollup/Rollup.sol (modes 1 and 2).
interface IRollupForGame {
    function mode() external view returns (uint8);
    function disputeGame() external view returns (address);
    function challengeWindow() external view returns (uint256);
    function clockBudget() external view returns (uint256);
    function exitTreeDepth() external view returns (uint256);
    function poseidon4() external view returns (address);
    function exodus() external view returns (bool);
    function isLive(uint256 commitId) external view returns (bool);
    /// @dev The getters' static tuples decode as these structs (RollupTypes.sol): no stack pressure from nine return values.
    function assertions(uint256 commitId) external view returns (Assertion memory);
    function batches(uint256 batchNum) external view returns (Batch memory);
    function removeBatchesFrom(uint256 batchNum, uint256 commitId) external returns (uint256 slashed);
    /// @dev The sequencer registry (contracts/rollup/SequencerRegistry.sol), address(0) when none.
    function registry() external view returns (address);
}

/// @dev SequencerRegistry.memberInfo's member record (same static layout).
struct RegistryMember {
    uint96 stake;
    uint32 activeFrom;
    uint32 activeUntil;
    uint64 unbondEnd;
    bool ejected;
    bool exists;
}

/// @notice What the game reads from and does to contracts/rollup/SequencerRegistry.sol (§11.3): as its
/// `slasher`, it slashes the registry stake of a defender that lost a game.
interface IRegistryForGame {
    function slasher() external view returns (address);
    function minStake() external view returns (uint256);
    function reporterShareBps() external view returns (uint256);
    function unbondingDelay() external view returns (uint256);
    function memberInfo(address who) external view returns (RegistryMember memory member, string memory url);
    function slash(address sequencer, uint256 amount, address beneficiary) external;
}

interface IPoseidon4Hash {
    function hash(uint256[4] calldata inputs) external pure returns (uint256);
}

/// @title Bisection dispute game with chess clocks and bonds over the steps of one committed batch
/// (docs/PROTOCOL.md §14.2).
/// @notice Anyone may dispute a live commit inside its challenge window by posting `challengeBond`; each
/// dispute is its own game against the batch's committer (the defender), so any number run in parallel
/// and none can delay another. The game bisects [lo, hi] = [0, n] over the batch's n steps: the defender
/// posts the step state at mid = (lo + hi) / 2, the challenger agrees (lo = mid) or disagrees (hi = mid).
/// At hi − lo = 1 the one-step prover re-executes step lo from S_lo: valid && post == S_hi and the
/// defender wins, otherwise the challenger does. Both endpoints are computed from committed data, so no
/// party ever claims them. Each side has `clockBudget` seconds for the whole game (chess clocks), so a game
/// ends within 2·clockBudget of its opening and a batch is final at most challengeWindow + 2·clockBudget
/// after its commit, whatever the number of challengers.
/// Bonds: the loser's bond is split, `burnPercent` burned (sent to BURN_ADDRESS, whose key nobody holds:
/// a colluding pair loses it instead of recycling it), the rest to the winner. Payouts are pull (claim()).
/// Registry stake: when the Rollup has a sequencer registry whose `slasher` is this game, a defender that
/// loses (its commit's first removal) and is a registered member with stake left is also slashed
/// min(stake, registry.minStake()); the registry pays it to this game, which credits the challenger the
/// registry's `reporterShareBps` of it (claim()) and burns the rest.
contract DisputeGame is PullPayments {
    /// @notice Where burned bond shares go: the conventional dead address, no key, no code.
    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;

    enum Status {
        None,
        Open,
        DefenderWon,
        ChallengerWon,
        /// @dev The disputed commit was removed by another game before this one ended: bond refunded.
        Void
    }

    enum Turn {
        /// @dev The defender must post the mid state (hi − lo ≥ 2).
        Defender,
        /// @dev The challenger must agree/disagree with the posted mid, or (hi − lo = 1) prove the step.
        Challenger
    }

    struct Game {
        uint64 commitId;
        uint64 batchNum;
        uint32 lo;
        uint32 hi;
        uint64 lastMoveAt;
        address challenger;
        uint64 defenderUsed;
        Status status;
        Turn turn;
        address defender;
        uint64 challengerUsed;
        bytes32 loState;
        bytes32 hiState;
        /// @dev The defender's last claim at a mid point; meaningful while the challenger is to answer it
        /// (not cleared after: rewriting a non-zero slot costs 5k gas instead of 22k per round).
        bytes32 midState;
    }

    IRollupForGame public immutable rollup;
    IOneStepProver public immutable prover;
    uint256 public immutable challengeBond;
    uint256 public immutable burnPercent;
    uint256 public immutable challengeWindow;
    uint256 public immutable clockBudget;
    /// @notice Root of the empty exit tree (exitTreeDepth): every batch's step 0 starts from it.
    uint256 public immutable emptyExitRoot;
    /// @notice The Rollup's sequencer registry when this game is its slasher; address(0): no stake slashing.
    IRegistryForGame public immutable registry;
    /// @notice Registry stake taken from a registered defender that loses (capped at its stake): the
    /// registry's minStake, the price of a seat (stake above it buys nothing: the leader rule is unweighted).
    uint256 public immutable fraudPenalty;
    /// @notice Basis points of a slashed stake credited to the winning challenger (the registry's
    /// reporterShareBps, as for its own slashes); the rest is burned.
    uint256 public immutable stakeShareBps;

    /// @dev Read through getGame (a public getter of 14 fields would not compile: stack too deep).
    mapping(uint256 => Game) internal games;
    uint256 public gameCount;
    /// @notice commitId => games still open against it; the rollup finalizes a batch only at 0.
    mapping(uint256 => uint256) public openDisputes;

    event GameOpened(
        uint256 indexed gameId,
        uint256 indexed batchNum,
        uint256 indexed commitId,
        address challenger,
        address defender,
        uint256 steps,
        bytes32 startState,
        bytes32 endState
    );
    event Bisected(uint256 indexed gameId, uint256 mid, bytes32 midState, uint256 defenderUsed);
    event Responded(uint256 indexed gameId, uint256 mid, bool agree, uint256 lo, uint256 hi, uint256 challengerUsed);
    event OneStepExecuted(uint256 indexed gameId, uint256 step, bool valid, bytes32 postState, address by);
    event GameResolved(uint256 indexed gameId, Status status, address indexed winner, uint256 payout, uint256 burned);
    event GameTimedOut(uint256 indexed gameId, Turn loser);
    event GameVoided(uint256 indexed gameId, address indexed challenger, uint256 refund);
    event DefenderStakeSlashed(uint256 indexed gameId, address indexed defender, uint256 amount, address indexed challenger, uint256 toChallenger, uint256 burned);

    error BadConfig(string what);
    error WrongBond(uint256 expected, uint256 value);
    error RollupInExodus();
    error StaleCommit(uint256 commitId);
    error WrongBatch(uint256 batchNum, uint256 commitId);
    error OutOfWindow(uint256 batchNum, uint256 deadline);
    error NoSuchGame(uint256 gameId);
    error GameNotOpen(uint256 gameId, Status status);
    error NotDefender(uint256 gameId);
    error NotChallenger(uint256 gameId);
    error NotAParty(uint256 gameId);
    error WrongTurn(uint256 gameId, Turn expected);
    error BadMidIndex(uint256 expected, uint256 given);
    error NotAtOneStep(uint256 gameId, uint256 lo, uint256 hi);
    error AtOneStep(uint256 gameId);
    error ClockExpired(uint256 gameId, Turn side);
    error ClockNotExpired(uint256 gameId, uint256 remaining);
    error CommitStillLive(uint256 gameId);
    error NotRollup();

    /// @param rollup_ The Rollup, deployed first with this game's address (deployRollup predicts it).
    /// @param prover_ The one-step prover (contracts/optimistic/OneStepProver.sol in production).
    constructor(IRollupForGame rollup_, IOneStepProver prover_, uint256 challengeBond_, uint256 burnPercent_) {
        if (address(prover_).code.length == 0) revert BadConfig("prover");
        // The Rollup trusts exactly one game; refuse to be a game it does not call.
        if (rollup_.disputeGame() != address(this) || rollup_.mode() == 0) revert BadConfig("rollup");
        // A free challenge would let anyone delay finality by 2·clockBudget per batch at no risk.
        if (challengeBond_ == 0) revert BadConfig("challengeBond");
        if (burnPercent_ > 100) revert BadConfig("burnPercent");
        rollup = rollup_;
        prover = prover_;
        challengeBond = challengeBond_;
        burnPercent = burnPercent_;
        challengeWindow = rollup_.challengeWindow();
        clockBudget = rollup_.clockBudget();
        IPoseidon4Hash p4 = IPoseidon4Hash(rollup_.poseidon4());
        uint256 z = 0;
        for (uint256 k = 0; k < rollup_.exitTreeDepth() / 2; k++) z = p4.hash([z, z, z, z]);
        emptyExitRoot = z;
        // Stake slashing only where the registry names this game its slasher (deployRollup wires it);
        // any other registry is left alone, so a slash can never revert NotSlasher.
        IRegistryForGame reg = IRegistryForGame(rollup_.registry());
        if (address(reg) != address(0) && reg.slasher() == address(this)) {
            // A defender's stake must still be bonded when its game ends: a commit made at the last moment
            // of its membership is disputable for challengeWindow and its game lasts ≤ 2·clockBudget.
            if (reg.unbondingDelay() <= challengeWindow + 2 * clockBudget) revert BadConfig("unbondingDelay");
            registry = reg;
            fraudPenalty = reg.minStake();
            stakeShareBps = reg.reporterShareBps();
        }
    }

    /// @notice Only the rollup (a slashed assertion bond in removeBatchesFrom) and the registry (a slashed
    /// defender's stake) send ETH here.
    receive() external payable {
        if (msg.sender != address(rollup) && msg.sender != address(registry)) revert NotRollup();
    }

    // ------------------------------------------------------------------------------------------
    // Moves

    /// @notice Disputes commit `commitId` (batch `batchNum`) with `challengeBond` attached. n = 0 steps:
    /// decided at once by comparing the endpoints.
    function openDispute(uint256 batchNum, uint256 commitId) external payable nonReentrant returns (uint256 gameId) {
        if (msg.value != challengeBond) revert WrongBond(challengeBond, msg.value);
        if (rollup.exodus()) revert RollupInExodus();
        if (!rollup.isLive(commitId)) revert StaleCommit(commitId);
        Assertion memory a = rollup.assertions(commitId);
        if (a.batchNum != batchNum) revert WrongBatch(batchNum, commitId);
        (bytes32 s0, bytes32 sn) = _endpoints(batchNum, a.feeCount);
        uint256 n = uint256(a.l1Count) + a.txCount + a.feeCount;
        address committer = a.committer;

        gameId = ++gameCount;
        Game storage g = games[gameId];
        g.commitId = uint64(commitId);
        g.batchNum = uint64(batchNum);
        g.hi = uint32(n);
        g.lastMoveAt = uint64(block.timestamp);
        g.challenger = msg.sender;
        g.defender = committer;
        g.loState = s0;
        g.hiState = sn;
        g.status = Status.Open;
        // hi − lo = 1: straight to the one-step, on the challenger's clock.
        g.turn = n == 1 ? Turn.Challenger : Turn.Defender;
        openDisputes[commitId] += 1;
        emit GameOpened(gameId, batchNum, commitId, msg.sender, committer, n, s0, sn);
        // No steps: the assertion is right iff it changes nothing.
        if (n == 0) _resolve(gameId, g, s0 == sn);
    }

    /// @notice The defender's claim of the step state at `mid` = (lo + hi) / 2 (passed to catch a move
    /// prepared for another position).
    function bisect(uint256 gameId, uint256 mid, bytes32 midState) external {
        Game storage g = _live(gameId);
        if (msg.sender != g.defender) revert NotDefender(gameId);
        if (g.turn != Turn.Defender) revert WrongTurn(gameId, Turn.Challenger);
        uint256 expected = (uint256(g.lo) + g.hi) / 2;
        if (mid != expected) revert BadMidIndex(expected, mid);
        g.defenderUsed = _charge(gameId, g, Turn.Defender, g.defenderUsed);
        g.midState = midState;
        g.turn = Turn.Challenger;
        emit Bisected(gameId, mid, midState, g.defenderUsed);
    }

    /// @notice The challenger's answer to the defender's mid state: agree (the fault is later: lo = mid)
    /// or disagree (it is at or before mid: hi = mid).
    function respond(uint256 gameId, uint256 mid, bool agree) external {
        Game storage g = _live(gameId);
        if (msg.sender != g.challenger) revert NotChallenger(gameId);
        if (g.turn != Turn.Challenger) revert WrongTurn(gameId, Turn.Defender);
        if (g.hi - g.lo == 1) revert AtOneStep(gameId);
        uint256 expected = (uint256(g.lo) + g.hi) / 2;
        if (mid != expected) revert BadMidIndex(expected, mid);
        g.challengerUsed = _charge(gameId, g, Turn.Challenger, g.challengerUsed);
        if (agree) {
            g.lo = uint32(mid);
            g.loState = g.midState;
        } else {
            g.hi = uint32(mid);
            g.hiState = g.midState;
        }
        // At one step the challenger keeps the move: it must prove the step wrong (or lose by clock).
        g.turn = g.hi - g.lo == 1 ? Turn.Challenger : Turn.Defender;
        emit Responded(gameId, mid, agree, g.lo, g.hi, g.challengerUsed);
    }

    /// @notice At hi − lo = 1, either party re-executes step lo from S_lo through the one-step prover;
    /// the result alone decides. The prover's typed errors (a proof not matching S_lo or the committed
    /// data) propagate.
    function submitOneStep(uint256 gameId, bytes calldata proof) external nonReentrant {
        Game storage g = _live(gameId);
        if (msg.sender != g.challenger && msg.sender != g.defender) revert NotAParty(gameId);
        if (g.hi - g.lo != 1) revert NotAtOneStep(gameId, g.lo, g.hi);
        // The challenger's clock runs at this point; once it ran out the defender has won (timeout), so a
        // late challenger may not snatch the game back.
        if (msg.sender == g.challenger) g.challengerUsed = _charge(gameId, g, Turn.Challenger, g.challengerUsed);
        (bool valid, bytes32 post) = prover.executeStep(_context(g), g.lo, g.loState, proof);
        emit OneStepExecuted(gameId, g.lo, valid, post, msg.sender);
        _resolve(gameId, g, valid && post == g.hiState);
    }

    /// @notice Anyone: once the side to move has used up its clockBudget, the other side wins.
    function timeout(uint256 gameId) external nonReentrant {
        Game storage g = _live(gameId);
        uint256 used = (g.turn == Turn.Defender ? g.defenderUsed : g.challengerUsed) + (block.timestamp - g.lastMoveAt);
        if (used < clockBudget) revert ClockNotExpired(gameId, clockBudget - used);
        emit GameTimedOut(gameId, g.turn);
        _resolve(gameId, g, g.turn == Turn.Challenger);
    }

    /// @notice Anyone: a game whose commit was removed by another game is void; the challenger's bond is
    /// refunded in full (it disputed a batch that was indeed removed).
    function voidGame(uint256 gameId) external {
        Game storage g = _game(gameId);
        if (rollup.isLive(g.commitId)) revert CommitStillLive(gameId);
        g.status = Status.Void;
        openDisputes[g.commitId] -= 1;
        claimable[g.challenger] += challengeBond;
        emit GameVoided(gameId, g.challenger, challengeBond);
    }


    // ------------------------------------------------------------------------------------------
    // Views

    /// @notice S = keccak256(abi.encode(stateRoot, exitRoot, nextIndex, acc[0..feeCount−1])) with every
    /// fee accumulator 0, as at both ends of a batch (docs/PROTOCOL.md §14.2).
    function stepState(uint256 stateRoot, uint256 exitRoot, uint256 nextIndex, uint256 feeCount) public pure returns (bytes32 s) {
        bytes memory m = new bytes(32 * (3 + feeCount));
        assembly {
            mstore(add(m, 0x20), stateRoot)
            mstore(add(m, 0x40), exitRoot)
            mstore(add(m, 0x60), nextIndex)
            s := keccak256(add(m, 0x20), mload(m))
        }
    }

    /// @notice Seconds the side to move has left (0 when its clock ran out) and which side that is.
    function clockLeft(uint256 gameId) external view returns (Turn side, uint256 remaining) {
        Game storage g = games[gameId];
        if (g.status != Status.Open) revert GameNotOpen(gameId, g.status);
        side = g.turn;
        uint256 used = (side == Turn.Defender ? g.defenderUsed : g.challengerUsed) + (block.timestamp - g.lastMoveAt);
        remaining = used >= clockBudget ? 0 : clockBudget - used;
    }

    function getGame(uint256 gameId) external view returns (Game memory) {
        return games[gameId];
    }

    /// @notice The context the one-step prover gets for game `gameId` (read from the rollup's commit).
    function context(uint256 gameId) external view returns (BatchContext memory) {
        return _context(_game(gameId));
    }

    // ------------------------------------------------------------------------------------------
    // Internals

    function _game(uint256 gameId) internal view returns (Game storage g) {
        g = games[gameId];
        if (g.status == Status.None) revert NoSuchGame(gameId);
        if (g.status != Status.Open) revert GameNotOpen(gameId, g.status);
    }

    /// @dev An open game whose commit is still the batch at its number; a removed commit's games only void.
    function _live(uint256 gameId) internal view returns (Game storage g) {
        g = _game(gameId);
        if (!rollup.isLive(g.commitId)) revert StaleCommit(g.commitId);
    }

    /// @dev Charges the mover for the time since the last move. A side whose clock reached its budget may
    /// only lose (timeout), so a game ends at most 2·clockBudget after it opened.
    function _charge(uint256 gameId, Game storage g, Turn side, uint64 used) internal returns (uint64 total) {
        uint256 t = uint256(used) + (block.timestamp - g.lastMoveAt);
        if (t >= clockBudget) revert ClockExpired(gameId, side);
        g.lastMoveAt = uint64(block.timestamp);
        return uint64(t);
    }

    /// @dev S_0 (previous batch's root and nextIndex, empty exit tree) and S_n (the commit's header),
    /// both from committed data; reverts outside the challenge window.
    function _endpoints(uint256 batchNum, uint256 feeCount) internal view returns (bytes32 s0, bytes32 sn) {
        Batch memory b = rollup.batches(batchNum);
        uint256 deadline = uint256(b.committedAt) + challengeWindow;
        if (block.timestamp >= deadline) revert OutOfWindow(batchNum, deadline);
        sn = stepState(b.stateRoot, b.exitRoot, b.nextIndex, feeCount);
        Batch memory prev = rollup.batches(batchNum - 1);
        s0 = stepState(prev.stateRoot, emptyExitRoot, prev.nextIndex, feeCount);
    }

    function _context(Game storage g) internal view returns (BatchContext memory ctx) {
        Assertion memory a = rollup.assertions(g.commitId);
        Batch memory prev = rollup.batches(uint256(g.batchNum) - 1);
        ctx = BatchContext({
            l1Start: prev.l1End,
            startNextIndex: prev.nextIndex,
            l1Count: a.l1Count,
            txCount: a.txCount,
            feeCount: a.feeCount,
            stepDataHash: a.stepDataHash
        });
    }

    /// @dev Registry stake a lost game takes from `defender`: min(stake, fraudPenalty), or 0 when there is
    /// no registry wired to this game or the defender is not a member with stake (never registered, left
    /// and withdrew, or already slashed to zero). Decided from views so that the slash call that follows
    /// meets every check of SequencerRegistry.slash (slasher, beneficiary ≠ 0, 0 < amount ≤ stake,
    /// registered) and cannot revert: resolution always completes.
    function _stakeToSlash(address defender) internal view returns (uint256) {
        if (address(registry) == address(0)) return 0;
        (RegistryMember memory m,) = registry.memberInfo(defender);
        if (!m.exists || m.stake == 0) return 0;
        return m.stake < fraudPenalty ? m.stake : fraudPenalty;
    }

    /// @dev Effects first (status, open count, ledger), then the rollup call that removes the batches and
    /// sends the slashed bond here, then the registry slash of a registered defender's stake (paid here,
    /// credited to the challenger's claimable before the call), then one burn transfer; callers are
    /// nonReentrant.
    function _resolve(uint256 gameId, Game storage g, bool defenderWins) internal {
        openDisputes[g.commitId] -= 1;
        uint256 stake;
        address winner;
        if (defenderWins) {
            g.status = Status.DefenderWon;
            winner = g.defender;
            stake = challengeBond;
        } else {
            g.status = Status.ChallengerWon;
            winner = g.challenger;
            // 0 when another game against a proven multi-mode batch already took the bond.
            stake = rollup.removeBatchesFrom(g.batchNum, g.commitId);
        }
        uint256 burned = (stake * burnPercent) / 100;
        // The winning challenger also gets its own bond back.
        uint256 payout = stake - burned + (defenderWins ? 0 : challengeBond);
        // The registry stake goes with the commit's bond: only on its first removal (stake != 0; a second
        // win against a proven multi-mode batch takes neither).
        uint256 slashed = defenderWins || stake == 0 ? 0 : _stakeToSlash(g.defender);
        uint256 share = (slashed * stakeShareBps) / 10_000;
        claimable[winner] += payout + share;
        emit GameResolved(gameId, g.status, winner, payout, burned);
        if (slashed != 0) {
            emit DefenderStakeSlashed(gameId, g.defender, slashed, winner, share, slashed - share);
            // Beneficiary = this game, not the challenger: the registry pushes ETH to its beneficiary and
            // reverts if refused, so a challenger contract could otherwise block its own resolution.
            registry.slash(g.defender, slashed, address(this));
            burned += slashed - share;
        }
        if (burned != 0) {
            (bool ok,) = BURN_ADDRESS.call{value: burned}("");
            if (!ok) revert TransferFailed();
        }
    }
}
