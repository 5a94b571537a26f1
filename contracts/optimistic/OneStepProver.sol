// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPoseidon2, IPoseidon3, IPoseidon4} from "../rollup/Rollup.sol";
import {BabyJubjub, IPoseidon5} from "./BabyJubjub.sol";
import {BatchContext, IOneStepProver} from "./IOneStepProver.sol";

/// @notice The part of the Rollup a one-step proof reads (all views of contracts/rollup/Rollup.sol).
interface IRollupView {
    function queue(uint256 index) external view returns (bytes32);
    function domainDigest() external view returns (uint256);
    function treeDepth() external view returns (uint256);
    function exitTreeDepth() external view returns (uint256);
    function maxL1Ops() external view returns (uint256);
    function poseidon2() external view returns (IPoseidon2);
    function poseidon3() external view returns (IPoseidon3);
    function poseidon4() external view returns (IPoseidon4);
}

/// @title Stateless re-execution of one step of an optimistic batch (docs/PROTOCOL.md §14.3).
/// @notice The step state is S = keccak256(abi.encode(stateRoot, exitRoot, nextIndex, acc[0..feeCount)))
/// (uint256 words). One step is one L1 op, one posted L2 record, or one fee-table credit, with exactly
/// the rules of src/core/stf.ts. Merkle witnesses are checked with the Rollup's Poseidon contracts; the
/// EdDSA signature of an L2 record is checked on chain (BabyJubjub). No trusted setup anywhere.
/// @dev `proof` = abi.encode(StepProof). Account witnesses sit at fixed positions: 0 = the step's first
/// account (L1: created slot / deposit target / force sender; L2: sender; fee: fee account), 1 = the
/// second (force/L2 transfer recipient). Siblings of witness 0 are taken against the pre-state root;
/// those of witness 1 against the root after witness 0's update when the step applies, else against the
/// pre-state root (nothing changed). Cost note: one 4-ary path = treeDepth/2 external Poseidon(4) calls
/// (≈ 60k gas each); a transfer opens and rewrites two paths.
contract OneStepProver is IOneStepProver {
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant MAX_BALANCE = type(uint128).max;
    uint256 internal constant MAX_NONCE = (uint256(1) << 40) - 1;
    uint256 internal constant L1_OP_BYTES = 113;
    uint256 internal constant RECORD_BYTES = 78;
    uint256 internal constant FEE_ENTRY_BYTES = 24;

    uint256 internal constant OP_CREATE_ACCOUNT = 1;
    uint256 internal constant OP_DEPOSIT = 2;
    uint256 internal constant OP_FORCE_EXIT = 3;
    uint256 internal constant OP_FORCE_TRANSFER = 4;

    /// @dev Account witness words: tokenId, nonce, balance, ax, ay, l1Address.
    uint256 internal constant W_TOKEN = 0;
    uint256 internal constant W_NONCE = 1;
    uint256 internal constant W_BALANCE = 2;
    uint256 internal constant W_AX = 3;
    uint256 internal constant W_AY = 4;
    uint256 internal constant W_ADDRESS = 5;

    /// @notice The proof of one step, abi-encoded (docs/PROTOCOL.md §14.3 for which fields a step uses).
    struct StepProof {
        /// @dev The pre-state's words: stateRoot, exitRoot, nextIndex, acc[0..feeCount). Must hash to preState.
        uint256[] pre;
        /// @dev L1 step: the 113-byte op. L2 step: the 78-byte record. Fee step: empty.
        bytes item;
        /// @dev L2 and fee steps: batchData[0 : 3 + 24·feeCount + 4]. L1 step: empty.
        bytes header;
        /// @dev Fee step: the batch's records root. Otherwise unused (0): an L2 step derives it.
        bytes32 recordsRoot;
        /// @dev L2 step: keccak siblings of the record, bottom level first (log2 W of them).
        bytes32[] recordPath;
        /// @dev Account witnesses (tokenId, nonce, balance, ax, ay, l1Address), positions as above.
        uint256[6][] accounts;
        /// @dev 3·treeDepth/2 siblings per account witness, witness 0 first (level 0 first, position order).
        uint256[] siblings;
        /// @dev Steps that write an exit: 3·exitTreeDepth/2 siblings of the exit slot.
        uint256[] exitSiblings;
    }

    /// @dev A decoded L1 op (docs/PROTOCOL.md §5.1) or L2 record (§7) — memory keeps the stack small.
    struct Op {
        uint256 kind;
        uint256 l1Address;
        uint256 tokenId;
        uint256 amount;
        uint256 fromIdx;
        uint256 toIdx;
        uint256 ax;
        uint256 ay;
    }

    struct Record {
        uint256 from;
        uint256 to;
        uint256 amountF;
        uint256 maxFeeF;
        uint256 amount;
        uint256 fee;
        /// @dev Fee-table entry paying for the sender's token, or type(uint256).max for none.
        uint256 feeSlot;
    }

    IRollupView public immutable rollup;
    IPoseidon2 public immutable poseidon2;
    IPoseidon3 public immutable poseidon3;
    IPoseidon4 public immutable poseidon4;
    IPoseidon5 public immutable poseidon5;
    uint256 public immutable treeDepth;
    uint256 public immutable exitTreeDepth;
    uint256 public immutable maxL1Ops;
    uint256 public immutable domainDigest;
    /// @notice Root of an exit tree with every slot empty: S_0's exit root.
    uint256 public immutable emptyExitRoot;
    uint256 internal immutable levels;
    uint256 internal immutable exitLevels;

    error StepOutOfRange(uint256 step, uint256 steps);
    error PreStateLength(uint256 length, uint256 expected);
    error PreStateMismatch(bytes32 expected, bytes32 actual);
    error PreStateOutOfRange();
    error L1OpLength(uint256 length);
    error L1OpMismatch(uint256 queueIndex);
    error UnknownL1OpType(uint256 kind);
    error RecordLength(uint256 length);
    error RecordPathLength(uint256 length, uint256 expected);
    /// @dev The record with its path (or the header) does not hash to the batch's stepDataHash.
    error RecordNotCommitted(uint256 record);
    error HeaderLength(uint256 length, uint256 expected);
    /// @dev The header disagrees with the context (feeCount, txCount) or, in a fee step, with stepDataHash.
    error HeaderMismatch();
    error MissingAccountWitness(uint256 position);
    error AccountWitnessOutOfRange(uint256 position);
    error SiblingsLength(uint256 length, uint256 expected);
    /// @dev The account witness does not open the state root at `index` (for an empty slot: leaf 0).
    error AccountProofInvalid(uint256 index);
    error ExitSiblingsLength(uint256 length, uint256 expected);
    /// @dev The exit slot is not empty in the pre-state exit root, or the siblings are wrong.
    error ExitProofInvalid(uint256 slot);
    error BadRollupConfig();

    constructor(IRollupView rollup_, IPoseidon5 poseidon5_) {
        rollup = rollup_;
        poseidon2 = rollup_.poseidon2();
        poseidon3 = rollup_.poseidon3();
        poseidon4 = rollup_.poseidon4();
        poseidon5 = poseidon5_;
        uint256 d = rollup_.treeDepth();
        uint256 ed = rollup_.exitTreeDepth();
        if (d == 0 || d > 32 || d % 2 != 0 || ed == 0 || ed > 32 || ed % 2 != 0) revert BadRollupConfig();
        treeDepth = d;
        exitTreeDepth = ed;
        levels = d / 2;
        exitLevels = ed / 2;
        maxL1Ops = rollup_.maxL1Ops();
        // Immutable in the Rollup: read once instead of per step.
        domainDigest = rollup_.domainDigest();
        uint256 z = 0;
        IPoseidon4 p4 = rollup_.poseidon4();
        for (uint256 k = 0; k < ed / 2; k++) z = p4.hash([z, z, z, z]);
        emptyExitRoot = z;
    }

    // ------------------------------------------------------------------------------------------
    // Step states (what the dispute game bisects over)

    /// @notice keccak256(abi.encode(stateRoot, exitRoot, nextIndex, acc...)).
    function stepState(uint256 stateRoot, uint256 exitRoot, uint256 nextIndex, uint256[] memory acc)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(stateRoot, exitRoot, nextIndex, acc));
    }

    /// @notice S_0 of a batch on top of a batch with `prevStateRoot` and `prevNextIndex`.
    function initialState(uint256 prevStateRoot, uint256 prevNextIndex, uint8 feeCount) external view returns (bytes32) {
        return stepState(prevStateRoot, emptyExitRoot, prevNextIndex, new uint256[](feeCount));
    }

    /// @notice S_n of a batch committing `newRoot`, `exitRoot`, `newNextIndex` (every fee credited).
    function finalState(uint256 newRoot, uint256 exitRoot, uint256 newNextIndex, uint8 feeCount) external pure returns (bytes32) {
        return stepState(newRoot, exitRoot, newNextIndex, new uint256[](feeCount));
    }

    /// @notice n = l1Count + txCount + feeCount.
    function stepCount(BatchContext calldata ctx) public pure returns (uint256) {
        return uint256(ctx.l1Count) + ctx.txCount + ctx.feeCount;
    }

    // ------------------------------------------------------------------------------------------
    // executeStep

    /// @inheritdoc IOneStepProver
    function executeStep(BatchContext calldata ctx, uint256 step, bytes32 preState, bytes calldata proof)
        external
        view
        returns (bool valid, bytes32 postState)
    {
        uint256 n = stepCount(ctx);
        if (step >= n) revert StepOutOfRange(step, n);
        StepProof memory p = abi.decode(proof, (StepProof));
        _checkPreState(ctx, preState, p);
        if (step < ctx.l1Count) {
            _l1Step(ctx, step, p);
            valid = true;
        } else if (step < uint256(ctx.l1Count) + ctx.txCount) {
            valid = _l2Step(ctx, step - ctx.l1Count, p);
        } else {
            valid = _feeStep(ctx, step - ctx.l1Count - ctx.txCount, p);
        }
        if (valid) postState = keccak256(abi.encodePacked(p.pre));
    }

    function _checkPreState(BatchContext calldata ctx, bytes32 preState, StepProof memory p) internal view {
        uint256[] memory pre = p.pre;
        if (pre.length != 3 + uint256(ctx.feeCount)) revert PreStateLength(pre.length, 3 + uint256(ctx.feeCount));
        bytes32 h = keccak256(abi.encodePacked(pre));
        if (h != preState) revert PreStateMismatch(preState, h);
        // Honest states always satisfy these; the arithmetic below relies on them.
        if (pre[0] >= P || pre[1] >= P || pre[2] > (uint256(1) << treeDepth)) revert PreStateOutOfRange();
        for (uint256 k = 3; k < pre.length; k++) {
            if (pre[k] > MAX_BALANCE) revert PreStateOutOfRange();
        }
        uint256 expected = p.accounts.length * 3 * levels;
        if (p.siblings.length != expected) revert SiblingsLength(p.siblings.length, expected);
    }

    // ------------------------------------------------------------------------------------------
    // L1 operations (docs/PROTOCOL.md §5.1): always processed; an invalid one is a no-op, refunded
    // through the exit slot when it carried value.

    function _l1Step(BatchContext calldata ctx, uint256 j, StepProof memory p) internal view {
        bytes memory raw = p.item;
        if (raw.length != L1_OP_BYTES) revert L1OpLength(raw.length);
        uint256 qi = uint256(ctx.l1Start) + j;
        if (keccak256(raw) != rollup.queue(qi)) revert L1OpMismatch(qi);
        Op memory op = _decodeL1Op(raw);
        if (op.kind == OP_CREATE_ACCOUNT) _createAccount(j, op, p);
        else if (op.kind == OP_DEPOSIT) _deposit(j, op, p);
        else if (op.kind == OP_FORCE_EXIT) _forceExit(j, op, p);
        else if (op.kind == OP_FORCE_TRANSFER) _forceTransfer(op, p);
        else revert UnknownL1OpType(op.kind); // unreachable: the Rollup only queues types 1-4
    }

    /// @dev type u8 | l1Address 20 | tokenId u32 | amount u128 | fromIdx u32 | toIdx u32 | Ax 32 | Ay 32
    function _decodeL1Op(bytes memory raw) internal pure returns (Op memory op) {
        uint256 w0;
        uint256 w1;
        uint256 ax;
        uint256 ay;
        assembly {
            let b := add(raw, 32)
            w0 := mload(b)
            w1 := mload(add(b, 25))
            ax := mload(add(b, 49))
            ay := mload(add(b, 81))
        }
        op.kind = w0 >> 248;
        op.l1Address = (w0 >> 88) & type(uint160).max;
        op.tokenId = (w0 >> 56) & type(uint32).max;
        op.amount = w1 >> 128;
        op.fromIdx = (w1 >> 96) & type(uint32).max;
        op.toIdx = (w1 >> 64) & type(uint32).max;
        op.ax = ax;
        op.ay = ay;
    }

    function _createAccount(uint256 slot, Op memory op, StepProof memory p) internal view {
        uint256 index = p.pre[2];
        if (index >= (uint256(1) << treeDepth)) return _refund(slot, op, p); // tree-full
        // Witness 0 carries only siblings here (its fields are unused): the slot must be empty (leaf 0).
        if (p.accounts.length == 0) revert MissingAccountWitness(0);
        if (_pathRoot(0, index, p.siblings, 0, levels) != p.pre[0]) revert AccountProofInvalid(index);
        uint256[6] memory a;
        a[W_TOKEN] = op.tokenId;
        a[W_BALANCE] = op.amount;
        a[W_AX] = op.ax;
        a[W_AY] = op.ay;
        a[W_ADDRESS] = op.l1Address;
        p.pre[0] = _write(p, 0, index, a);
        p.pre[2] = index + 1;
    }

    function _deposit(uint256 slot, Op memory op, StepProof memory p) internal view {
        if (!_exists(op.toIdx, p)) return _refund(slot, op, p); // unknown-account
        uint256[6] memory a = _open(p, 0, op.toIdx, p.pre[0]);
        if (a[W_TOKEN] != op.tokenId) return _refund(slot, op, p); // token-mismatch
        if (a[W_BALANCE] + op.amount > MAX_BALANCE) return _refund(slot, op, p); // balance-overflow
        a[W_BALANCE] += op.amount;
        p.pre[0] = _write(p, 0, op.toIdx, a);
    }

    function _forceExit(uint256 slot, Op memory op, StepProof memory p) internal view {
        if (!_exists(op.fromIdx, p)) return; // unknown-account
        uint256[6] memory a = _open(p, 0, op.fromIdx, p.pre[0]);
        if (a[W_ADDRESS] != op.l1Address) return; // not-owner
        uint256 balance = a[W_BALANCE];
        if (balance == 0) return; // zero-balance
        _exit(p, slot, a[W_ADDRESS], a[W_TOKEN], balance);
        a[W_BALANCE] = 0;
        p.pre[0] = _write(p, 0, op.fromIdx, a);
    }

    function _forceTransfer(Op memory op, StepProof memory p) internal view {
        if (!_exists(op.fromIdx, p)) return; // unknown-account
        uint256[6] memory a = _open(p, 0, op.fromIdx, p.pre[0]);
        if (a[W_ADDRESS] != op.l1Address) return; // not-owner
        if (op.fromIdx == op.toIdx) return; // self-transfer
        if (!_exists(op.toIdx, p)) return; // unknown-recipient
        uint256[6] memory b = _witness(p, 1);
        if (
            b[W_TOKEN] != a[W_TOKEN] // token-mismatch
                || op.amount == 0 // zero-amount
                || op.amount > a[W_BALANCE] // insufficient-balance
                || b[W_BALANCE] + op.amount > MAX_BALANCE // balance-overflow
        ) {
            // The no-op was decided from the recipient's claimed fields: prove them in the pre-state.
            _verify(p, 1, op.toIdx, b, p.pre[0]);
            return;
        }
        a[W_BALANCE] -= op.amount;
        uint256 r1 = _write(p, 0, op.fromIdx, a);
        _verify(p, 1, op.toIdx, b, r1);
        b[W_BALANCE] += op.amount;
        p.pre[0] = _write(p, 1, op.toIdx, b);
    }

    /// @dev A createAccount/deposit no-op pays its amount back to the depositor through the exit slot.
    function _refund(uint256 slot, Op memory op, StepProof memory p) internal view {
        if (op.amount > 0) _exit(p, slot, op.l1Address, op.tokenId, op.amount);
    }

    // ------------------------------------------------------------------------------------------
    // L2 records (docs/PROTOCOL.md §5.2, §7): a record the STF rejects makes the batch invalid.

    function _l2Step(BatchContext calldata ctx, uint256 i, StepProof memory p) internal view returns (bool) {
        bytes memory raw = p.item;
        if (raw.length != RECORD_BYTES) revert RecordLength(raw.length);
        _checkHeaderShape(ctx, p.header);
        bytes32 root = _recordsRootFromPath(keccak256(raw), i, ctx.txCount, p.recordPath);
        if (keccak256(abi.encodePacked(p.header, root)) != ctx.stepDataHash) revert RecordNotCommitted(i);
        if (_headerDefect(p.header)) return false;

        Record memory r;
        uint256 w;
        assembly {
            w := mload(add(raw, 32))
        }
        r.from = w >> 224;
        r.to = (w >> 192) & type(uint32).max;
        r.amountF = (w >> 160) & type(uint32).max;
        r.maxFeeF = (w >> 144) & type(uint16).max;

        uint256 nextIndex = p.pre[2];
        if (r.from == 0) return false; // malformed: account 0 is reserved
        if (r.from >= nextIndex) return false; // unknown-sender
        bool transfer = r.to != 0;
        if (transfer && (r.from == r.to || r.to >= nextIndex)) return false; // self-transfer, unknown-recipient
        uint256[6] memory a = _open(p, 0, r.from, p.pre[0]);
        uint256[6] memory b;
        if (transfer) b = _witness(p, 1);
        if (!_checkL2(r, a, b, transfer, p) || !_signatureValid(r, a, raw, transfer)) {
            // Every rejection after this point read the recipient's claimed fields: prove them.
            if (transfer) _verify(p, 1, r.to, b, p.pre[0]);
            return false;
        }
        a[W_BALANCE] -= r.amount + r.fee;
        a[W_NONCE] += 1;
        uint256 r1 = _write(p, 0, r.from, a);
        if (transfer) {
            _verify(p, 1, r.to, b, r1);
            b[W_BALANCE] += r.amount;
            p.pre[0] = _write(p, 1, r.to, b);
        } else {
            p.pre[0] = r1;
            _exit(p, maxL1Ops + i, a[W_ADDRESS], a[W_TOKEN], r.amount);
        }
        if (r.feeSlot != type(uint256).max) p.pre[3 + r.feeSlot] += r.fee;
        return true;
    }

    /// @dev The STF's checks after existence, in its order (src/core/stf.ts checkL2), minus the
    /// signature. bad-nonce cannot happen: the signed nonce is the sender's current one by definition.
    function _checkL2(Record memory r, uint256[6] memory a, uint256[6] memory b, bool transfer, StepProof memory p)
        internal
        pure
        returns (bool)
    {
        if (transfer && b[W_TOKEN] != a[W_TOKEN]) return false; // token-mismatch
        if (a[W_NONCE] >= MAX_NONCE) return false; // nonce-overflow
        r.amount = _floatDecode(r.amountF, 27);
        if (r.amount == 0 || r.amount > MAX_BALANCE) return false; // zero-amount, amount-too-large
        r.feeSlot = type(uint256).max;
        bytes memory header = p.header;
        uint256 feeCount = uint8(header[2]);
        for (uint256 k = 0; k < feeCount; k++) {
            (uint256 token,, uint256 fee) = _feeEntry(header, k);
            if (token == a[W_TOKEN]) {
                r.feeSlot = k;
                r.fee = fee;
                break;
            }
        }
        if (r.fee > _floatDecode(r.maxFeeF, 11)) return false; // fee-above-max
        if (r.amount + r.fee > a[W_BALANCE]) return false; // insufficient-balance
        if (transfer && b[W_BALANCE] + r.amount > MAX_BALANCE) return false; // balance-overflow
        if (r.feeSlot != type(uint256).max && p.pre[3 + r.feeSlot] + r.fee > MAX_BALANCE) return false; // fee-overflow
        return true;
    }

    /// @dev msg = Poseidon([domain, type | from<<8 | to<<40 | nonce<<72 | amountF<<112 | maxFeeF<<144]).
    function _signatureValid(Record memory r, uint256[6] memory a, bytes memory raw, bool transfer)
        internal
        view
        returns (bool)
    {
        uint256 body = (transfer ? 1 : 2) | (r.from << 8) | (r.to << 40) | (a[W_NONCE] << 72) | (r.amountF << 112)
            | (r.maxFeeF << 144);
        uint256 message = poseidon2.hash([domainDigest, body]);
        return BabyJubjub.verifyPacked(
            BabyJubjub.readLE(raw, 14), BabyJubjub.readLE(raw, 46), a[W_AX], a[W_AY], message, poseidon5
        );
    }

    /// @dev value = mantissa · 10^exponent, bits = exponent << m | mantissa (5-bit exponent); < 2^131.
    function _floatDecode(uint256 bits, uint256 mantissaBits) internal pure returns (uint256) {
        return (bits & ((uint256(1) << mantissaBits) - 1)) * 10 ** (bits >> mantissaBits);
    }

    // ------------------------------------------------------------------------------------------
    // Fee credits (docs/PROTOCOL.md §5.3): entry k's accumulator goes to its account, acc[k] := 0.

    function _feeStep(BatchContext calldata ctx, uint256 k, StepProof memory p) internal view returns (bool) {
        _checkHeaderShape(ctx, p.header);
        if (keccak256(abi.encodePacked(p.header, p.recordsRoot)) != ctx.stepDataHash) revert HeaderMismatch();
        if (_headerDefect(p.header)) return false;
        (uint256 token, uint256 accountIdx,) = _feeEntry(p.header, k);
        // The STF requires every fee account to exist before the batch and hold the entry's token
        // (BAD_FEE_TABLE); checked here whether or not fees were collected, so an unusable table is
        // always fraud. An account's token never changes, so "before the batch" is an index bound.
        if (accountIdx >= ctx.startNextIndex || !_exists(accountIdx, p)) return false;
        uint256[6] memory a = _open(p, 0, accountIdx, p.pre[0]);
        if (a[W_TOKEN] != token) return false;
        uint256 total = p.pre[3 + k];
        if (total == 0) return true;
        if (a[W_BALANCE] + total > MAX_BALANCE) return false; // unreachable under the Rollup's token cap
        a[W_BALANCE] += total;
        p.pre[0] = _write(p, 0, accountIdx, a);
        p.pre[3 + k] = 0;
        return true;
    }

    // ------------------------------------------------------------------------------------------
    // Batch data binding

    /// @dev header = version u8 | mode u8 | feeCount u8 | feeCount × 24 | txCount u32.
    function _checkHeaderShape(BatchContext calldata ctx, bytes memory header) internal pure {
        uint256 expected = 3 + uint256(ctx.feeCount) * FEE_ENTRY_BYTES + 4;
        if (header.length != expected) revert HeaderLength(header.length, expected);
        uint256 txCount;
        assembly {
            txCount := shr(224, mload(add(add(header, 32), sub(expected, 4))))
        }
        if (uint8(header[2]) != ctx.feeCount || txCount != ctx.txCount) revert HeaderMismatch();
    }

    /// @dev Committed header content the data decoder (src/core/batch-data.ts) rejects: the batch is
    /// invalid as a whole. The Rollup's commit should refuse these; this is defence in depth.
    function _headerDefect(bytes memory header) internal pure returns (bool) {
        if (uint8(header[0]) != 1 || uint8(header[1]) != 1) return true; // version, optimistic mode
        uint256 feeCount = uint8(header[2]);
        for (uint256 k = 0; k < feeCount; k++) {
            (uint256 token, uint256 accountIdx,) = _feeEntry(header, k);
            if (accountIdx == 0) return true;
            for (uint256 m = 0; m < k; m++) {
                (uint256 other,,) = _feeEntry(header, m);
                if (other == token) return true; // duplicate fee token
            }
        }
        return false;
    }

    /// @dev Fee entry k: tokenId u32 | accountIdx u32 | fee u128.
    function _feeEntry(bytes memory header, uint256 k) internal pure returns (uint256 token, uint256 accountIdx, uint256 fee) {
        uint256 w;
        assembly {
            w := mload(add(add(header, 35), mul(k, 24)))
        }
        token = w >> 224;
        accountIdx = (w >> 192) & type(uint32).max;
        fee = (w >> 64) & type(uint128).max;
    }

    /// @dev Binary keccak tree over W = 2^ceil(log2(max(txCount, 1))) leaves, bottom level first.
    function _recordsRootFromPath(bytes32 leaf, uint256 index, uint256 txCount, bytes32[] memory path)
        internal
        pure
        returns (bytes32 node)
    {
        uint256 depth = 0;
        while ((uint256(1) << depth) < txCount) depth++;
        if (path.length != depth) revert RecordPathLength(path.length, depth);
        node = leaf;
        for (uint256 k = 0; k < depth; k++) {
            node = (index >> k) & 1 == 1
                ? keccak256(abi.encodePacked(path[k], node))
                : keccak256(abi.encodePacked(node, path[k]));
        }
    }

    // ------------------------------------------------------------------------------------------
    // State and exit trees (4-ary Poseidon, docs/PROTOCOL.md §4)

    function _exists(uint256 index, StepProof memory p) internal pure returns (bool) {
        return index != 0 && index < p.pre[2];
    }

    /// @dev Witness `position`, range-checked (a field out of range has no leaf preimage in the STF).
    function _witness(StepProof memory p, uint256 position) internal pure returns (uint256[6] memory a) {
        if (position >= p.accounts.length) revert MissingAccountWitness(position);
        a = p.accounts[position];
        if (
            a[W_TOKEN] > type(uint32).max || a[W_NONCE] > MAX_NONCE || a[W_BALANCE] > MAX_BALANCE || a[W_AX] >= P
                || a[W_AY] >= P || a[W_ADDRESS] > type(uint160).max
        ) revert AccountWitnessOutOfRange(position);
    }

    /// @dev Witness `position` proven to be the account at `index` under `root`.
    function _open(StepProof memory p, uint256 position, uint256 index, uint256 root)
        internal
        view
        returns (uint256[6] memory a)
    {
        a = _witness(p, position);
        _verify(p, position, index, a, root);
    }

    function _verify(StepProof memory p, uint256 position, uint256 index, uint256[6] memory a, uint256 root)
        internal
        view
    {
        if (_pathRoot(_leaf(a), index, p.siblings, position * 3 * levels, levels) != root) revert AccountProofInvalid(index);
    }

    /// @dev The root after writing account `a` at `index` with witness `position`'s siblings.
    function _write(StepProof memory p, uint256 position, uint256 index, uint256[6] memory a)
        internal
        view
        returns (uint256)
    {
        return _pathRoot(_leaf(a), index, p.siblings, position * 3 * levels, levels);
    }

    /// @dev Poseidon([tokenId + nonce·2^32 + balance·2^72, ax, ay, l1Address]) (as Rollup.exodusWithdraw).
    function _leaf(uint256[6] memory a) internal view returns (uint256) {
        return poseidon4.hash([a[W_TOKEN] | (a[W_NONCE] << 32) | (a[W_BALANCE] << 72), a[W_AX], a[W_AY], a[W_ADDRESS]]);
    }

    /// @dev Writes Poseidon([l1Address, tokenId, amount]) into the empty exit slot `slot`.
    function _exit(StepProof memory p, uint256 slot, uint256 l1Address, uint256 tokenId, uint256 amount) internal view {
        uint256 expected = 3 * exitLevels;
        if (p.exitSiblings.length != expected) revert ExitSiblingsLength(p.exitSiblings.length, expected);
        if (_pathRoot(0, slot, p.exitSiblings, 0, exitLevels) != p.pre[1]) revert ExitProofInvalid(slot);
        p.pre[1] = _pathRoot(poseidon3.hash([l1Address, tokenId, amount]), slot, p.exitSiblings, 0, exitLevels);
    }

    /// @dev Root of a 4-ary path: at level k the node is child (index >> 2k) & 3; the three siblings
    /// siblings[offset + 3k ..] fill the other positions in order. One Poseidon(4) call per level.
    function _pathRoot(uint256 leaf, uint256 index, uint256[] memory siblings, uint256 offset, uint256 nLevels)
        internal
        view
        returns (uint256 node)
    {
        IPoseidon4 p4 = poseidon4;
        node = leaf;
        uint256[4] memory c;
        for (uint256 k = 0; k < nLevels; k++) {
            uint256 pos = (index >> (2 * k)) & 3;
            uint256 s = offset + 3 * k;
            for (uint256 i = 0; i < 4; i++) {
                if (i == pos) {
                    c[i] = node;
                } else {
                    c[i] = siblings[s];
                    s++;
                }
            }
            node = p4.hash(c);
        }
    }
}
