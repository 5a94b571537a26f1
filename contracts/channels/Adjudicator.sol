// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title Rampart two-party payment-channel adjudicator.
/// @notice Holds the deposits of two-party channels (ETH or one ERC-20 per channel) and pays out the
/// latest state both parties signed. See docs/CHANNELS.md for the protocol and its security argument.
///
/// Lifecycle: None -> Opening (A deposited) -> Open (B deposited) -> Challenged (unilateral close)
/// -> Closed. Cooperative close goes Open -> Closed in one transaction.
///
/// Penalty: a party may have signed up to `pipelineWindow` of its own proposals that the other party
/// has not yet countersigned back to it, so closing on a state up to `pipelineWindow` versions old
/// can be honest. A state more than `pipelineWindow` versions newer than the one a closer submitted
/// proves that the closer held a newer doubly-signed state (it only signs a proposal after holding the
/// countersignature of the proposal `pipelineWindow` before it), so the closer forfeits its whole
/// balance to the other party; a third-party responder (watchtower) that proves it earns
/// `watchtowerFeeBps` of the forfeited balance.
contract Adjudicator is EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    enum Status {
        None,
        Opening,
        Open,
        Challenged,
        Closed
    }

    /// @dev Fixed at open; hashed (with chain id and this contract's address) into the channel id.
    struct ChannelParams {
        address participantA;
        address participantB;
        address token; // address(0) = ETH
        uint64 nonce;
        uint32 challengePeriod; // seconds
        uint16 pipelineWindow;
    }

    /// @dev The EIP-712 struct both parties sign.
    struct State {
        bytes32 channelId;
        uint64 version;
        uint256 balanceA;
        uint256 balanceB;
        bool isFinal;
    }

    struct Permit {
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @dev Packed into 7 slots; deposits and balances fit 128 bits because open() caps their sum.
    struct Channel {
        address participantA;
        uint32 challengePeriod;
        uint16 pipelineWindow;
        Status status;
        address participantB;
        uint48 deadline;
        bool closerIsB;
        bool penalized;
        address token;
        uint128 depositA;
        uint128 depositB;
        uint64 closeVersion;
        uint64 version;
        uint128 balanceA;
        uint128 balanceB;
        address feeRecipient;
    }

    bytes32 public constant STATE_TYPEHASH =
        keccak256("State(bytes32 channelId,uint64 version,uint256 balanceA,uint256 balanceB,bool isFinal)");
    uint16 public constant MAX_PIPELINE_WINDOW = 1024;
    uint16 public constant MAX_FEE_BPS = 5000;
    uint32 public constant MAX_CHALLENGE_PERIOD_LIMIT = 365 days;
    /// @dev Enough for a smart-wallet receive hook, too little to grief settle() by burning gas.
    uint256 internal constant ETH_PUSH_GAS = 50_000;

    uint32 public immutable minChallengePeriod;
    uint32 public immutable maxChallengePeriod;
    uint16 public immutable watchtowerFeeBps;

    mapping(bytes32 channelId => Channel) internal _channels;
    /// @notice Payouts whose push transfer failed; claim with withdraw().
    mapping(address token => mapping(address account => uint256)) public owed;

    event ChannelOpened(
        bytes32 indexed channelId,
        address indexed participantA,
        address indexed participantB,
        address token,
        uint64 nonce,
        uint32 challengePeriod,
        uint16 pipelineWindow,
        uint256 depositA,
        uint256 depositB
    );
    event ChannelFunded(bytes32 indexed channelId);
    event ChannelCancelled(bytes32 indexed channelId);
    event ChannelConcluded(bytes32 indexed channelId, uint64 version, uint256 balanceA, uint256 balanceB);
    event ChallengeRegistered(
        bytes32 indexed channelId,
        address indexed closer,
        uint64 version,
        uint256 balanceA,
        uint256 balanceB,
        uint48 deadline
    );
    event ChallengeAnswered(bytes32 indexed channelId, address indexed responder, uint64 version, bool penalized);
    event ChannelSettled(
        bytes32 indexed channelId,
        uint64 version,
        uint256 payoutA,
        uint256 payoutB,
        uint256 fee,
        address feeRecipient
    );
    event PayoutDeferred(address indexed token, address indexed account, uint256 amount);
    event Withdrawn(address indexed token, address indexed account, uint256 amount);

    error InvalidConfig(uint32 minChallengePeriod, uint32 maxChallengePeriod, uint16 watchtowerFeeBps);
    error NotOpener(address caller, address participantA);
    error InvalidParticipants(address participantA, address participantB);
    error ChallengePeriodOutOfBounds(uint32 challengePeriod, uint32 min, uint32 max);
    error PipelineWindowOutOfBounds(uint16 pipelineWindow, uint16 max);
    error EmptyChannel();
    error DepositTooLarge(uint256 total, uint256 max);
    error ChannelExists(bytes32 channelId);
    error UnknownChannel(bytes32 channelId);
    error WrongStatus(bytes32 channelId, Status actual);
    error WrongValue(uint256 expected, uint256 received);
    error TokenNotContract(address token);
    error TransferAmountMismatch(uint256 expected, uint256 received);
    error NotParticipant(bytes32 channelId, address caller);
    error NotDepositor(bytes32 channelId, address caller, address expected);
    error BalancesMismatch(uint256 balanceA, uint256 balanceB, uint256 totalDeposits);
    error InitialStateMismatch(uint256 balanceA, uint256 balanceB, uint256 depositA, uint256 depositB);
    error InvalidSignature(bytes32 channelId, address expectedSigner, address recovered);
    error NotFinal(bytes32 channelId, uint64 version);
    error StaleVersion(bytes32 channelId, uint64 submitted, uint64 current);
    error ChallengePeriodOver(bytes32 channelId, uint48 deadline, uint256 nowTs);
    error ChallengePeriodNotOver(bytes32 channelId, uint48 deadline, uint256 nowTs);
    error NothingOwed(address token, address account);
    error EthTransferFailed(address to, uint256 amount);

    constructor(uint32 minChallengePeriod_, uint32 maxChallengePeriod_, uint16 watchtowerFeeBps_)
        EIP712("Rampart Adjudicator", "1")
    {
        if (
            minChallengePeriod_ == 0 || minChallengePeriod_ > maxChallengePeriod_
                || maxChallengePeriod_ > MAX_CHALLENGE_PERIOD_LIMIT || watchtowerFeeBps_ > MAX_FEE_BPS
        ) revert InvalidConfig(minChallengePeriod_, maxChallengePeriod_, watchtowerFeeBps_);
        minChallengePeriod = minChallengePeriod_;
        maxChallengePeriod = maxChallengePeriod_;
        watchtowerFeeBps = watchtowerFeeBps_;
    }

    // ------------------------------------------------------------------ views

    /// @notice The channel id: binds chain id, this adjudicator, both participants, the token, the
    /// nonce, the challenge period and the pipeline window, so a state of one channel is useless in
    /// any other channel, contract or chain.
    function channelIdOf(ChannelParams calldata p) public view returns (bytes32) {
        return keccak256(
            abi.encode(
                block.chainid,
                address(this),
                p.participantA,
                p.participantB,
                p.token,
                p.nonce,
                p.challengePeriod,
                p.pipelineWindow
            )
        );
    }

    /// @notice EIP-712 digest of a state, as both parties sign it.
    function hashState(State calldata s) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(STATE_TYPEHASH, s.channelId, s.version, s.balanceA, s.balanceB, s.isFinal))
        );
    }

    function getChannel(bytes32 channelId) external view returns (Channel memory) {
        return _channels[channelId];
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------ funding

    /// @notice Opens a channel and takes A's deposit. If `depositB` is zero the channel is open at once;
    /// otherwise B completes it with deposit(). A can cancel() until B has deposited.
    function open(ChannelParams calldata p, uint256 depositA, uint256 depositB)
        external
        payable
        nonReentrant
        returns (bytes32 channelId)
    {
        channelId = _open(p, depositA, depositB);
        _pull(p.token, msg.sender, depositA);
    }

    /// @notice open() for ERC-2612 tokens: A's approval rides in the same transaction.
    function openWithPermit(ChannelParams calldata p, uint256 depositA, uint256 depositB, Permit calldata permit)
        external
        nonReentrant
        returns (bytes32 channelId)
    {
        channelId = _open(p, depositA, depositB);
        _permit(p.token, depositA, permit);
        _pull(p.token, msg.sender, depositA);
    }

    /// @notice B's deposit; the channel becomes Open.
    function deposit(bytes32 channelId) external payable nonReentrant {
        Channel storage ch = _fundable(channelId);
        _pull(ch.token, msg.sender, ch.depositB);
    }

    /// @notice deposit() for ERC-2612 tokens: B's approval rides in the same transaction.
    function depositWithPermit(bytes32 channelId, Permit calldata permit) external nonReentrant {
        Channel storage ch = _fundable(channelId);
        _permit(ch.token, ch.depositB, permit);
        _pull(ch.token, msg.sender, ch.depositB);
    }

    /// @notice A takes its deposit back while B has not funded the channel.
    function cancel(bytes32 channelId) external nonReentrant {
        Channel storage ch = _existing(channelId);
        if (ch.status != Status.Opening) revert WrongStatus(channelId, ch.status);
        if (msg.sender != ch.participantA) revert NotParticipant(channelId, msg.sender);
        address token = ch.token;
        address a = ch.participantA;
        uint256 amount = ch.depositA;
        _close(channelId);
        emit ChannelCancelled(channelId);
        _push(token, a, amount);
    }

    // ------------------------------------------------------------------ closing

    /// @notice Pays out a final state both parties signed, at once. Anyone may submit it.
    function closeCooperatively(State calldata s, bytes calldata sigA, bytes calldata sigB) external nonReentrant {
        Channel storage ch = _existing(s.channelId);
        if (ch.status != Status.Open && ch.status != Status.Challenged) revert WrongStatus(s.channelId, ch.status);
        if (!s.isFinal) revert NotFinal(s.channelId, s.version);
        if (ch.status == Status.Challenged && s.version < ch.version) {
            revert StaleVersion(s.channelId, s.version, ch.version);
        }
        _checkBalances(ch, s);
        _checkSignatures(ch, s, sigA, sigB);
        address token = ch.token;
        address a = ch.participantA;
        address b = ch.participantB;
        _close(s.channelId);
        emit ChannelConcluded(s.channelId, s.version, s.balanceA, s.balanceB);
        _push(token, a, s.balanceA);
        _push(token, b, s.balanceB);
    }

    /// @notice Unilateral close by a participant with the latest doubly-signed state it holds.
    /// Version 0 is the opening state (balances equal deposits) and needs no signatures.
    function forceClose(State calldata s, bytes calldata sigA, bytes calldata sigB) external nonReentrant {
        Channel storage ch = _existing(s.channelId);
        if (ch.status != Status.Open) revert WrongStatus(s.channelId, ch.status);
        bool isA = msg.sender == ch.participantA;
        if (!isA && msg.sender != ch.participantB) revert NotParticipant(s.channelId, msg.sender);
        _checkBalances(ch, s);
        if (s.version == 0) {
            if (s.balanceA != ch.depositA) {
                revert InitialStateMismatch(s.balanceA, s.balanceB, ch.depositA, ch.depositB);
            }
        } else {
            _checkSignatures(ch, s, sigA, sigB);
        }
        uint48 deadline = uint48(block.timestamp) + ch.challengePeriod;
        ch.status = Status.Challenged;
        ch.closerIsB = !isA;
        ch.deadline = deadline;
        ch.closeVersion = s.version;
        ch.version = s.version;
        ch.balanceA = uint128(s.balanceA);
        ch.balanceB = uint128(s.balanceB);
        emit ChallengeRegistered(s.channelId, msg.sender, s.version, s.balanceA, s.balanceB, deadline);
    }

    /// @notice Answers a pending close with a newer doubly-signed state. Anyone may answer (the other
    /// party or its watchtower). A state more than `pipelineWindow` newer than the closer's proves a
    /// stale close and forfeits the closer's balance.
    function respond(State calldata s, bytes calldata sigA, bytes calldata sigB) external nonReentrant {
        Channel storage ch = _existing(s.channelId);
        if (ch.status != Status.Challenged) revert WrongStatus(s.channelId, ch.status);
        if (block.timestamp >= ch.deadline) revert ChallengePeriodOver(s.channelId, ch.deadline, block.timestamp);
        if (s.version <= ch.version) revert StaleVersion(s.channelId, s.version, ch.version);
        _checkBalances(ch, s);
        _checkSignatures(ch, s, sigA, sigB);
        ch.version = s.version;
        ch.balanceA = uint128(s.balanceA);
        ch.balanceB = uint128(s.balanceB);
        // uint64 + uint16 cannot overflow in the uint256 comparison.
        if (!ch.penalized && uint256(s.version) > uint256(ch.closeVersion) + ch.pipelineWindow) {
            ch.penalized = true;
            if (msg.sender != ch.participantA && msg.sender != ch.participantB) ch.feeRecipient = msg.sender;
        }
        emit ChallengeAnswered(s.channelId, msg.sender, s.version, ch.penalized);
    }

    /// @notice After the challenge period, pays out the newest state seen (with the penalty, if proven).
    function settle(bytes32 channelId) external nonReentrant {
        Channel storage ch = _existing(channelId);
        if (ch.status != Status.Challenged) revert WrongStatus(channelId, ch.status);
        if (block.timestamp < ch.deadline) revert ChallengePeriodNotOver(channelId, ch.deadline, block.timestamp);
        uint256 payoutA = ch.balanceA;
        uint256 payoutB = ch.balanceB;
        uint256 fee;
        address feeRecipient = ch.feeRecipient;
        if (ch.penalized) {
            uint256 forfeited = ch.closerIsB ? payoutB : payoutA;
            if (feeRecipient != address(0)) fee = (forfeited * watchtowerFeeBps) / 10_000;
            if (ch.closerIsB) {
                payoutA += forfeited - fee;
                payoutB = 0;
            } else {
                payoutB += forfeited - fee;
                payoutA = 0;
            }
        }
        uint64 version = ch.version;
        address token = ch.token;
        address a = ch.participantA;
        address b = ch.participantB;
        _close(channelId);
        emit ChannelSettled(channelId, version, payoutA, payoutB, fee, feeRecipient);
        _push(token, a, payoutA);
        _push(token, b, payoutB);
        if (fee != 0) _push(token, feeRecipient, fee);
    }

    /// @notice Claims payouts whose push transfer failed (a reverting receiver, a token blocklist).
    function withdraw(address token) external nonReentrant {
        uint256 amount = owed[token][msg.sender];
        if (amount == 0) revert NothingOwed(token, msg.sender);
        owed[token][msg.sender] = 0;
        emit Withdrawn(token, msg.sender, amount);
        if (token == address(0)) {
            (bool ok,) = msg.sender.call{value: amount}("");
            if (!ok) revert EthTransferFailed(msg.sender, amount);
        } else {
            IERC20(token).safeTransfer(msg.sender, amount);
        }
    }

    // ------------------------------------------------------------------ internals

    function _open(ChannelParams calldata p, uint256 depositA, uint256 depositB) private returns (bytes32 channelId) {
        if (msg.sender != p.participantA) revert NotOpener(msg.sender, p.participantA);
        if (p.participantB == address(0) || p.participantB == p.participantA) {
            revert InvalidParticipants(p.participantA, p.participantB);
        }
        if (p.challengePeriod < minChallengePeriod || p.challengePeriod > maxChallengePeriod) {
            revert ChallengePeriodOutOfBounds(p.challengePeriod, minChallengePeriod, maxChallengePeriod);
        }
        if (p.pipelineWindow == 0 || p.pipelineWindow > MAX_PIPELINE_WINDOW) {
            revert PipelineWindowOutOfBounds(p.pipelineWindow, MAX_PIPELINE_WINDOW);
        }
        // Both are uint256, so check each before adding: the sum itself must never overflow.
        if (depositA > type(uint128).max || depositB > type(uint128).max || depositA + depositB > type(uint128).max) {
            revert DepositTooLarge(depositA > depositB ? depositA : depositB, type(uint128).max);
        }
        if (depositA + depositB == 0) revert EmptyChannel();
        if (p.token != address(0) && p.token.code.length == 0) revert TokenNotContract(p.token);
        channelId = channelIdOf(p);
        Channel storage ch = _channels[channelId];
        if (ch.status != Status.None) revert ChannelExists(channelId);
        ch.participantA = p.participantA;
        ch.participantB = p.participantB;
        ch.token = p.token;
        ch.challengePeriod = p.challengePeriod;
        ch.pipelineWindow = p.pipelineWindow;
        ch.depositA = uint128(depositA);
        ch.depositB = uint128(depositB);
        ch.status = depositB == 0 ? Status.Open : Status.Opening;
        emit ChannelOpened(
            channelId,
            p.participantA,
            p.participantB,
            p.token,
            p.nonce,
            p.challengePeriod,
            p.pipelineWindow,
            depositA,
            depositB
        );
        if (depositB == 0) emit ChannelFunded(channelId);
    }

    function _fundable(bytes32 channelId) private returns (Channel storage ch) {
        ch = _existing(channelId);
        if (ch.status != Status.Opening) revert WrongStatus(channelId, ch.status);
        if (msg.sender != ch.participantB) revert NotDepositor(channelId, msg.sender, ch.participantB);
        ch.status = Status.Open;
        emit ChannelFunded(channelId);
    }

    function _existing(bytes32 channelId) private view returns (Channel storage ch) {
        ch = _channels[channelId];
        if (ch.status == Status.None) revert UnknownChannel(channelId);
    }

    /// @dev Balances must split the deposits exactly. Written so no sum can overflow: a balance above
    /// the total is refused before the subtraction.
    function _checkBalances(Channel storage ch, State calldata s) private view {
        uint256 total = uint256(ch.depositA) + ch.depositB;
        if (s.balanceA > total || s.balanceB != total - s.balanceA) {
            revert BalancesMismatch(s.balanceA, s.balanceB, total);
        }
    }

    function _checkSignatures(Channel storage ch, State calldata s, bytes calldata sigA, bytes calldata sigB)
        private
        view
    {
        bytes32 digest = hashState(s);
        _checkSigner(s.channelId, digest, sigA, ch.participantA);
        _checkSigner(s.channelId, digest, sigB, ch.participantB);
    }

    function _checkSigner(bytes32 channelId, bytes32 digest, bytes calldata sig, address expected) private pure {
        // tryRecover refuses malleable (high-s) and malformed signatures instead of reverting opaquely.
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, sig);
        if (err != ECDSA.RecoverError.NoError || recovered != expected) {
            revert InvalidSignature(channelId, expected, recovered);
        }
    }

    /// @dev Marks the channel closed for good (the id can never be reused) and frees its storage.
    function _close(bytes32 channelId) private {
        delete _channels[channelId];
        _channels[channelId].status = Status.Closed;
    }

    function _permit(address token, uint256 amount, Permit calldata permit) private {
        if (token == address(0)) revert TokenNotContract(token);
        // A front-runner may already have used the permit; the allowance is then in place and the
        // transfer below still succeeds, so a failed permit is not fatal (OpenZeppelin's advice).
        try IERC20Permit(token).permit(msg.sender, address(this), amount, permit.deadline, permit.v, permit.r, permit.s) {}
            catch {}
    }

    function _pull(address token, address from, uint256 amount) private {
        if (token == address(0)) {
            if (msg.value != amount) revert WrongValue(amount, msg.value);
            return;
        }
        if (msg.value != 0) revert WrongValue(0, msg.value);
        if (amount == 0) return;
        // Fee-on-transfer and rebasing tokens would break "payouts = deposits": refuse them.
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(from, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert TransferAmountMismatch(amount, received);
    }

    /// @dev Push payment; a receiver that refuses it is credited instead, so one party can never block
    /// the other's payout.
    function _push(address token, address to, uint256 amount) private {
        if (amount == 0) return;
        bool ok;
        if (token == address(0)) {
            (ok,) = to.call{value: amount, gas: ETH_PUSH_GAS}("");
        } else {
            ok = IERC20(token).trySafeTransfer(to, amount);
        }
        if (!ok) {
            owed[token][to] += amount;
            emit PayoutDeferred(token, to, amount);
        }
    }
}
