// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {CommitHeader} from "./RollupTypes.sol";

/// @notice What the registry reads from the rollup to judge a missed proving duty.
interface IRollupDuty {
    function batches(uint256 batchNum)
        external
        view
        returns (uint256, uint256, uint256, uint64, uint32, uint64, bool proven, address committer, uint96);
    function lastCommitted() external view returns (uint256);
    function lastProven() external view returns (uint256);
    function priorityUntil(uint256 batchNum) external view returns (uint256);
    function proverPriorityWindow() external view returns (uint256);
}

/// @title Rampart sequencer registry: staked sequencers, slots with leaders, and slashing.
/// @notice Rules, parameters and message formats: docs/PROTOCOL.md §11.3.
///   Time is cut into slots of `slotDuration` seconds from `genesisTime`; `epochSlots` slots form an
///   epoch. The active set of epoch e (members with activeFrom <= e < activeUntil) only changes at
///   epoch boundaries: joins and leaves take effect two epochs later. The leader of
///   slot s is the member of epoch(s)'s active set with the smallest keccak256(seed_e, s, member),
///   where seed_e was fixed from block.prevrandao during epoch e-1. During slot s only the leader may
///   commit; from `leaderDeadline` seconds into the slot, if the leader has not committed in it, any
///   member of the active set may — the first such commit claims the rest of the slot.
contract SequencerRegistry is ReentrancyGuard {
    /// @dev Longest RPC URL, bytes.
    uint256 public constant MAX_URL_BYTES = 256;
    /// @dev Hard bound on members: a slot's first commit scans them (two cold storage reads each).
    uint256 public constant MAX_SEQUENCERS_LIMIT = 64;
    /// @dev Domain of the signed batch header (equivocation evidence), docs/PROTOCOL.md §11.3.
    bytes32 public constant BATCH_HEADER_TYPEHASH = keccak256("rampart.batch-header.v2");
    /// @dev Joins and leaves take effect this many epochs later. Epoch e's seed is recorded during
    /// e - 1; with a delay of 2 the set of epoch e is fixed (end of e - 2) before anyone can know
    /// its seed, so nobody can pick a join address or a leave to win that epoch's slots.
    uint256 public constant SET_DELAY_EPOCHS = 2;

    struct Config {
        /// @dev The only caller of onCommit. The Rollup checks it is itself (deployRollup predicts it).
        address rollup;
        /// @dev May call slash(); fixed at deploy (the optimistic dispute game). address(0): nobody.
        address slasher;
        uint256 minStake;
        uint64 slotDuration;
        uint64 leaderDeadline;
        uint32 epochSlots;
        uint64 unbondingDelay;
        uint32 maxSequencers;
        /// @dev Share of a slash paid to whoever proved the fault (basis points, ≤ 10000); the rest is burned.
        uint16 reporterShareBps;
        /// @dev Taken from a committer that left its own batch unproven past the priority window.
        uint256 missedProofPenalty;
    }

    struct Member {
        uint96 stake;
        /// @dev First epoch in the active set, and the first epoch out of it (type(uint32).max: not leaving).
        uint32 activeFrom;
        uint32 activeUntil;
        /// @dev When the stake may be withdrawn; 0 until the member leaves or is slashed.
        uint64 unbondEnd;
        /// @dev Slashed: may no longer commit (the schedule of the current epoch keeps its place).
        bool ejected;
        bool exists;
    }

    address public immutable rollup;
    address public immutable slasher;
    uint256 public immutable minStake;
    uint256 public immutable slotDuration;
    uint256 public immutable leaderDeadline;
    uint256 public immutable epochSlots;
    uint256 public immutable unbondingDelay;
    uint256 public immutable maxSequencers;
    uint256 public immutable reporterShareBps;
    uint256 public immutable missedProofPenalty;
    uint256 public immutable genesisTime;

    address[] internal members;
    mapping(address => Member) internal memberOf;
    mapping(address => string) public urlOf;
    /// @notice Randomness recorded for an epoch during the epoch before it (0: none recorded).
    mapping(uint256 => bytes32) public recordedSeed;
    /// @notice Who committed in a slot first (the leader, or the sequencer that took the slot over).
    mapping(uint256 => address) public slotCommitter;
    /// @notice Batches a missed-proof slash was already taken for.
    mapping(uint256 => bool) public missedProofSlashed;
    struct MissedProofReport {
        uint64 reportedAt;
        address reporter;
    }
    /// @notice When (and by whom) a batch was reported as the oldest unproven batch past its window.
    mapping(uint256 => MissedProofReport) public missedProofReport;
    /// @notice Slashed wei not paid to reporters: locked here for good.
    uint256 public burned;

    event Joined(address indexed sequencer, uint256 stake, uint32 activeFrom, string url);
    event UrlUpdated(address indexed sequencer, string url);
    event LeaveRequested(address indexed sequencer, uint32 activeUntil, uint64 unbondEnd);
    event Withdrawn(address indexed sequencer, uint256 amount);
    event Pruned(address indexed sequencer);
    event Slashed(address indexed sequencer, uint256 amount, address indexed beneficiary, uint256 paid, bytes32 reason);
    event SeedRecorded(uint256 indexed epoch, bytes32 seed);
    event SlotCommitted(uint256 indexed slot, address indexed committer, uint256 batchNum, bool leader);
    event MissedProofReported(uint256 indexed batchNum, address indexed committer, address reporter, uint256 slashableAt);

    error BadConfig(string what);
    error NotRollup();
    error NotSlasher();
    error StakeTooLow(uint256 value, uint256 minStake);
    error StakeTooLarge(uint256 value);
    error AlreadyRegistered(address sequencer);
    error NotRegistered(address sequencer);
    error BadUrl(string why);
    error TooManySequencers(uint256 max);
    error AlreadyLeaving(address sequencer);
    error NotLeaving(address sequencer);
    error StillBonded(uint256 until);
    error CannotPrune(address sequencer);
    error BadAmount();
    error AmountExceedsStake(uint256 amount, uint256 stake);
    error BadBeneficiary();
    error NothingToSlash(address sequencer);
    error BadBatchNum(uint256 batchNum);
    error SameHeader();
    error BadSignature(uint256 which);
    error HeaderMatchesCommit(uint256 batchNum);
    error NoProvingDuty();
    error NotCommitter(uint256 batchNum, address committer);
    error BatchProven(uint256 batchNum);
    error PriorityWindowOpen(uint256 batchNum, uint256 until);
    error AlreadySlashedForBatch(uint256 batchNum);
    error AlreadyReported(uint256 batchNum);
    error NotReported(uint256 batchNum);
    error NotOldestUnproven(uint256 batchNum, uint256 oldest);
    error BeforeGenesis(uint256 time);
    error NotAllowedToCommit(address who, uint256 slot, address leader, uint256 openAt);
    error TransferFailed();

    constructor(Config memory c) {
        if (c.rollup == address(0)) revert BadConfig("rollup");
        if (c.minStake == 0 || c.minStake > type(uint96).max) revert BadConfig("minStake");
        if (c.slotDuration == 0) revert BadConfig("slotDuration");
        // A leader gets a real head start, and takeover happens inside the slot.
        if (c.leaderDeadline == 0 || c.leaderDeadline >= c.slotDuration) revert BadConfig("leaderDeadline");
        if (c.epochSlots == 0) revert BadConfig("epochSlots");
        if (c.unbondingDelay == 0) revert BadConfig("unbondingDelay");
        if (c.maxSequencers == 0 || c.maxSequencers > MAX_SEQUENCERS_LIMIT) revert BadConfig("maxSequencers");
        if (c.reporterShareBps > 10_000) revert BadConfig("reporterShareBps");
        if (c.missedProofPenalty > c.minStake) revert BadConfig("missedProofPenalty");
        rollup = c.rollup;
        slasher = c.slasher;
        minStake = c.minStake;
        slotDuration = c.slotDuration;
        leaderDeadline = c.leaderDeadline;
        epochSlots = c.epochSlots;
        unbondingDelay = c.unbondingDelay;
        maxSequencers = c.maxSequencers;
        reporterShareBps = c.reporterShareBps;
        missedProofPenalty = c.missedProofPenalty;
        genesisTime = block.timestamp;
    }

    // ------------------------------------------------------------------------------------------
    // Membership

    /// @notice Join with msg.value as stake (≥ minStake) and the URL of this sequencer's JSON-RPC.
    /// Active from epoch current + SET_DELAY_EPOCHS.
    function join(string calldata url) external payable {
        if (memberOf[msg.sender].exists) revert AlreadyRegistered(msg.sender);
        if (msg.value < minStake) revert StakeTooLow(msg.value, minStake);
        if (msg.value > type(uint96).max) revert StakeTooLarge(msg.value);
        _checkUrl(url);
        if (members.length >= maxSequencers) revert TooManySequencers(maxSequencers);
        _recordSeed();
        uint32 from = uint32(currentEpoch() + SET_DELAY_EPOCHS);
        memberOf[msg.sender] =
            Member({stake: uint96(msg.value), activeFrom: from, activeUntil: type(uint32).max, unbondEnd: 0, ejected: false, exists: true});
        members.push(msg.sender);
        urlOf[msg.sender] = url;
        emit Joined(msg.sender, msg.value, from, url);
    }

    function updateUrl(string calldata url) external {
        if (!memberOf[msg.sender].exists) revert NotRegistered(msg.sender);
        _checkUrl(url);
        urlOf[msg.sender] = url;
        emit UrlUpdated(msg.sender, url);
    }

    /// @notice Leave the active set SET_DELAY_EPOCHS epoch boundaries from now; the stake stays slashable for
    /// `unbondingDelay` after that boundary (the last moment this member could have committed).
    function requestLeave() external {
        Member storage m = memberOf[msg.sender];
        if (!m.exists) revert NotRegistered(msg.sender);
        if (m.unbondEnd != 0) revert AlreadyLeaving(msg.sender);
        _recordSeed();
        _leave(m, msg.sender);
    }

    /// @notice After the unbonding delay: the remaining stake goes back and the member is removed.
    function withdraw() external nonReentrant {
        Member storage m = memberOf[msg.sender];
        if (!m.exists) revert NotRegistered(msg.sender);
        if (m.unbondEnd == 0) revert NotLeaving(msg.sender);
        if (block.timestamp < m.unbondEnd) revert StillBonded(m.unbondEnd);
        uint256 amount = m.stake;
        _remove(msg.sender);
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// @notice Anyone may remove a member slashed to zero once it is out of the active set, so dead
    /// entries cannot fill the set.
    function prune(address sequencer) external {
        Member storage m = memberOf[sequencer];
        if (!m.exists) revert NotRegistered(sequencer);
        if (m.stake != 0 || currentEpoch() < m.activeUntil) revert CannotPrune(sequencer);
        _remove(sequencer);
        emit Pruned(sequencer);
    }

    function _leave(Member storage m, address who) internal {
        uint256 next = currentEpoch() + SET_DELAY_EPOCHS;
        if (m.activeUntil > next) m.activeUntil = uint32(next);
        if (m.activeUntil < m.activeFrom) m.activeUntil = m.activeFrom;
        uint64 end = uint64(epochStart(m.activeUntil) + unbondingDelay);
        if (m.unbondEnd == 0 || m.unbondEnd < end) m.unbondEnd = end;
        emit LeaveRequested(who, m.activeUntil, m.unbondEnd);
    }

    function _remove(address who) internal {
        delete memberOf[who];
        delete urlOf[who];
        uint256 n = members.length;
        // Order does not matter: the leader rule is a minimum over hashes, not an index.
        for (uint256 i = 0; i < n; i++) {
            if (members[i] == who) {
                members[i] = members[n - 1];
                members.pop();
                return;
            }
        }
    }

    /// @dev http(s) URL of printable ASCII without spaces, 1..MAX_URL_BYTES bytes.
    function _checkUrl(string calldata url) internal pure {
        bytes calldata b = bytes(url);
        if (b.length == 0) revert BadUrl("empty");
        if (b.length > MAX_URL_BYTES) revert BadUrl("too long");
        bool http = b.length > 7 && bytes7(b[0:7]) == bytes7("http://");
        bool https = b.length > 8 && bytes8(b[0:8]) == bytes8("https://");
        if (!http && !https) revert BadUrl("scheme");
        for (uint256 i = 0; i < b.length; i++) {
            uint8 c = uint8(b[i]);
            if (c <= 0x20 || c >= 0x7f) revert BadUrl("character");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Slots, epochs, leaders

    function slotAt(uint256 time) public view returns (uint256) {
        if (time < genesisTime) revert BeforeGenesis(time);
        return (time - genesisTime) / slotDuration;
    }

    function currentSlot() public view returns (uint256) {
        return slotAt(block.timestamp);
    }

    function currentEpoch() public view returns (uint256) {
        return currentSlot() / epochSlots;
    }

    function slotStart(uint256 slot) public view returns (uint256) {
        return genesisTime + slot * slotDuration;
    }

    function epochStart(uint256 epoch) public view returns (uint256) {
        return genesisTime + epoch * epochSlots * slotDuration;
    }

    /// @notice The seed of epoch e: recorded from block.prevrandao during epoch e-1, or (when nothing
    /// touched the registry for a whole epoch) keccak256(registry, e).
    function epochSeed(uint256 epoch) public view returns (bytes32) {
        bytes32 s = recordedSeed[epoch];
        return s != 0 ? s : keccak256(abi.encode(address(this), epoch));
    }

    /// @notice Records the next epoch's seed if not yet recorded (also done by join, leave and commits).
    function pokeSeed() external {
        _recordSeed();
    }

    function _recordSeed() internal {
        uint256 next = currentEpoch() + 1;
        if (recordedSeed[next] != 0) return;
        bytes32 s = keccak256(abi.encode(block.prevrandao, blockhash(block.number - 1), next));
        recordedSeed[next] = s;
        emit SeedRecorded(next, s);
    }

    function isActive(address who, uint256 epoch) public view returns (bool) {
        Member storage m = memberOf[who];
        return m.exists && m.activeFrom <= epoch && epoch < m.activeUntil;
    }

    /// @notice Members in epoch's active set (ejected ones included: the schedule keeps their slots).
    function activeSet(uint256 epoch) external view returns (address[] memory out) {
        uint256 n = members.length;
        address[] memory tmp = new address[](n);
        uint256 k = 0;
        for (uint256 i = 0; i < n; i++) {
            if (isActive(members[i], epoch)) tmp[k++] = members[i];
        }
        out = new address[](k);
        for (uint256 i = 0; i < k; i++) out[i] = tmp[i];
    }

    /// @notice The leader of `slot`: the active member with the smallest keccak256(seed, slot, member);
    /// address(0) when the set is empty.
    function leaderOf(uint256 slot) public view returns (address leader) {
        uint256 epoch = slot / epochSlots;
        bytes32 seed = epochSeed(epoch);
        uint256 best = type(uint256).max;
        uint256 n = members.length;
        for (uint256 i = 0; i < n; i++) {
            address who = members[i];
            if (!isActive(who, epoch)) continue;
            uint256 score = uint256(keccak256(abi.encode(seed, slot, who)));
            if (leader == address(0) || score < best) {
                best = score;
                leader = who;
            }
        }
    }

    /// @notice May `who` commit a batch at time `time` (the including block's timestamp)?
    function mayCommit(address who, uint256 time) public view returns (bool) {
        (bool ok,,) = _mayCommit(who, time);
        return ok;
    }

    /// @dev Returns whether it may, the slot's leader, and when the slot opens to every active member.
    function _mayCommit(address who, uint256 time) internal view returns (bool ok, address leader, uint256 openAt) {
        uint256 slot = slotAt(time);
        leader = leaderOf(slot);
        openAt = slotStart(slot) + leaderDeadline;
        address claimed = slotCommitter[slot];
        if (claimed != address(0)) return (who == claimed && !memberOf[who].ejected, leader, openAt);
        Member storage m = memberOf[who];
        if (!isActive(who, slot / epochSlots) || m.ejected) return (false, leader, openAt);
        if (who == leader) return (true, leader, openAt);
        // No leader, or a slashed one: the slot is open at once.
        if (leader == address(0) || memberOf[leader].ejected) return (true, leader, slotStart(slot));
        return (time >= openAt, leader, openAt);
    }

    /// @notice The Rollup's commit gate: reverts unless `committer` may commit now; the first commit in
    /// a slot claims it (later commits in the slot must come from the same account, so two sequencers
    /// never build on the same parent — a stale-parent batch could never be proven).
    function onCommit(address committer, uint256 batchNum) external {
        if (msg.sender != rollup) revert NotRollup();
        (bool ok, address leader, uint256 openAt) = _mayCommit(committer, block.timestamp);
        uint256 slot = currentSlot();
        if (!ok) revert NotAllowedToCommit(committer, slot, leader, openAt);
        if (slotCommitter[slot] == address(0)) {
            slotCommitter[slot] = committer;
            emit SlotCommitted(slot, committer, batchNum, committer == leader);
        }
        _recordSeed();
    }

    // ------------------------------------------------------------------------------------------
    // Slashing

    /// @notice Optimistic-mode faults (an invalid batch) are judged by the dispute game: `slasher`.
    function slash(address sequencer, uint256 amount, address beneficiary) external nonReentrant {
        if (msg.sender != slasher) revert NotSlasher();
        if (beneficiary == address(0)) revert BadBeneficiary();
        if (amount == 0) revert BadAmount();
        Member storage m = memberOf[sequencer];
        if (!m.exists) revert NotRegistered(sequencer);
        if (amount > m.stake) revert AmountExceedsStake(amount, m.stake);
        _slash(m, sequencer, amount, beneficiary, amount, "slasher");
    }

    /// @notice The EIP-191 digest a sequencer signs for the header of batch `batchNum`, promising to
    /// land it in `slot` (§11.3): keccak256(abi.encode(BATCH_HEADER_TYPEHASH, chainid, rollup, batchNum,
    /// slot, headerHash)). The slot is bound because an honest sequencer whose commit did not land in
    /// slot s may re-seal batch n later; it must never sign two headers for one (batchNum, slot).
    function batchHeaderDigest(uint256 batchNum, uint256 slot, bytes32 headerHash) public view returns (bytes32) {
        return MessageHashUtils.toEthSignedMessageHash(keccak256(abi.encode(BATCH_HEADER_TYPEHASH, block.chainid, rollup, batchNum, slot, headerHash)));
    }

    /// @notice Anyone proves that `sequencer` signed two different headers for the same batch number
    /// and slot: its whole stake is slashed; msg.sender gets `reporterShareBps` of it, the rest is burned.
    function proveEquivocation(
        address sequencer,
        uint256 batchNum,
        uint256 slot,
        bytes32 headerA,
        bytes calldata sigA,
        bytes32 headerB,
        bytes calldata sigB
    ) external nonReentrant {
        if (batchNum == 0) revert BadBatchNum(batchNum);
        if (headerA == headerB) revert SameHeader();
        Member storage m = _slashable(sequencer);
        if (!_signedBy(sequencer, batchHeaderDigest(batchNum, slot, headerA), sigA)) revert BadSignature(0);
        if (!_signedBy(sequencer, batchHeaderDigest(batchNum, slot, headerB), sigB)) revert BadSignature(1);
        _slashAll(m, sequencer);
    }

    /// @notice Anyone proves that the committer of batch `batchNum` had signed, for the slot its commit
    /// landed in, a header the commit does not match: its whole stake is slashed as for equivocation.
    /// The Rollup keeps only newRoot, exitRoot and newNextIndex of a commit readable here (dataCommitment
    /// and l1Count are folded into inputHash with data the registry does not have), so a commit is
    /// compared on those three fields.
    function proveCommitEquivocation(uint256 batchNum, CommitHeader calldata header, bytes calldata sig) external nonReentrant {
        IRollupDuty r = IRollupDuty(rollup);
        if (batchNum == 0 || batchNum > r.lastCommitted()) revert BadBatchNum(batchNum);
        (, uint256 stateRoot, uint256 exitRoot,, uint32 nextIndex, uint64 committedAt,, address committer,) = r.batches(batchNum);
        Member storage m = _slashable(committer);
        bytes32 digest = batchHeaderDigest(batchNum, slotAt(committedAt), keccak256(abi.encode(header)));
        if (!_signedBy(committer, digest, sig)) revert BadSignature(0);
        if (header.newRoot == stateRoot && header.exitRoot == exitRoot && header.newNextIndex == nextIndex) revert HeaderMatchesCommit(batchNum);
        _slashAll(m, committer);
    }

    /// @dev A registered member with stake left (NotRegistered, NothingToSlash).
    function _slashable(address who) internal view returns (Member storage m) {
        m = memberOf[who];
        if (!m.exists) revert NotRegistered(who);
        if (m.stake == 0) revert NothingToSlash(who);
    }

    /// @dev OpenZeppelin's tryRecover: 65-byte signatures, low s, v 27/28, nonzero signer.
    function _signedBy(address who, bytes32 digest, bytes calldata sig) internal pure returns (bool) {
        (address a, ECDSA.RecoverError e,) = ECDSA.tryRecover(digest, sig);
        return e == ECDSA.RecoverError.NoError && a == who;
    }

    /// @dev The equivocation penalty: the whole stake; the reporter (msg.sender) gets its share.
    function _slashAll(Member storage m, address who) internal {
        uint256 amount = m.stake;
        _slash(m, who, amount, msg.sender, amount * reporterShareBps / 10_000, "equivocation");
    }

    /// @notice Step 1 of a missed-proof slash: batch `batchNum` is the oldest unproven batch (nothing
    /// blocks its proof: proofs go in order, so a later batch is never blamed for an earlier one) and
    /// its committer's priority window is over. Records the report; from now the committer has one
    /// more full window to get it proven before `slashMissedProof`.
    function reportMissedProof(uint256 batchNum) external {
        IRollupDuty r = IRollupDuty(rollup);
        if (r.proverPriorityWindow() == 0) revert NoProvingDuty();
        if (batchNum == 0 || batchNum > r.lastCommitted()) revert BadBatchNum(batchNum);
        if (missedProofReport[batchNum].reportedAt != 0) revert AlreadyReported(batchNum);
        (,,,,,, bool proven, address committer,) = r.batches(batchNum);
        if (proven) revert BatchProven(batchNum);
        uint256 oldest = r.lastProven() + 1;
        if (batchNum != oldest) revert NotOldestUnproven(batchNum, oldest);
        uint256 until = r.priorityUntil(batchNum);
        if (block.timestamp < until) revert PriorityWindowOpen(batchNum, until);
        Member storage m = memberOf[committer];
        if (!m.exists) revert NotCommitter(batchNum, committer);
        if (m.stake == 0) revert NothingToSlash(committer);
        missedProofReport[batchNum] = MissedProofReport({reportedAt: uint64(block.timestamp), reporter: msg.sender});
        emit MissedProofReported(batchNum, committer, msg.sender, block.timestamp + r.proverPriorityWindow());
    }

    /// @notice Step 2: a reported batch is still unproven a full priority window after the report:
    /// `missedProofPenalty` is slashed from its committer (once per batch); the reporter gets its share.
    function slashMissedProof(uint256 batchNum) external nonReentrant {
        IRollupDuty r = IRollupDuty(rollup);
        MissedProofReport memory rep = missedProofReport[batchNum];
        if (rep.reportedAt == 0) revert NotReported(batchNum);
        if (missedProofSlashed[batchNum]) revert AlreadySlashedForBatch(batchNum);
        (,,,,,, bool proven, address committer,) = r.batches(batchNum);
        if (proven) revert BatchProven(batchNum);
        uint256 until = uint256(rep.reportedAt) + r.proverPriorityWindow();
        if (block.timestamp < until) revert PriorityWindowOpen(batchNum, until);
        Member storage m = memberOf[committer];
        if (!m.exists) revert NotCommitter(batchNum, committer);
        if (m.stake == 0) revert NothingToSlash(committer);
        missedProofSlashed[batchNum] = true;
        uint256 amount = m.stake < missedProofPenalty ? m.stake : missedProofPenalty;
        _slash(m, committer, amount, rep.reporter, amount * reporterShareBps / 10_000, "missed-proof");
    }

    /// @dev Any slash ejects the member (no more commits) and starts its exit from the set.
    function _slash(Member storage m, address who, uint256 amount, address beneficiary, uint256 paid, bytes32 reason) internal {
        m.stake -= uint96(amount);
        m.ejected = true;
        _leave(m, who);
        burned += amount - paid;
        emit Slashed(who, amount, beneficiary, paid, reason);
        if (paid != 0) {
            (bool ok,) = beneficiary.call{value: paid}("");
            if (!ok) revert TransferFailed();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Views

    function memberCount() external view returns (uint256) {
        return members.length;
    }

    function memberAt(uint256 i) external view returns (address) {
        return members[i];
    }

    /// @notice A member's record (all zero when not registered) and its RPC URL.
    function memberInfo(address who) external view returns (Member memory member, string memory url) {
        return (memberOf[who], urlOf[who]);
    }

    /// @notice Everything a node needs about `slot` in one call.
    function slotInfo(uint256 slot) external view returns (address leader, uint256 start, uint256 openAt, address committer, uint256 epoch) {
        return (leaderOf(slot), slotStart(slot), slotStart(slot) + leaderDeadline, slotCommitter[slot], slot / epochSlots);
    }
}
