/**
 * Generates the on-chain Poseidon contracts (contracts/generated/PoseidonT<t>.sol, gitignored) from the
 * same parameters the TypeScript core uses (src/core/poseidon-params.ts), so L1 and L2 cannot disagree
 * on a constant. Run by `npm run build:contracts` before compilation.
 *
 * Shape: the optimised permutation (full rounds with the dense MDS, partial rounds with the sparse
 * w/v matrices: 2t-1 multiplications instead of t^2). Round constants live in a `bytes constant`, which
 * Solidity embeds in the code and copies to memory with one CODECOPY; the rounds are loops over it.
 * Unrolling with inline PUSH32 constants would be ~10% cheaper per call but exceeds the 24 KB contract
 * limit from t = 5 on. At t = 6 (Poseidon of 5, the EdDSA challenge) even the constants exceed it: the
 * partial rounds' w/v constants move to a data contract (see `split`); measured 137k gas per call
 * (eth_estimateGas) against 242k for the textbook permutation that would fit in one contract.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '../src/core/bytes.ts';
import { poseidonOptimized, POSEIDON_FULL_ROUNDS } from '../src/core/poseidon-params.ts';

const P = '21888242871839275222246405745257275088548364400416034343698204186575808495617';

function word(v: bigint): string {
  return v.toString(16).padStart(64, '0');
}

/** Layout of the constants blob (32-byte words, in order). */
function constantsBlob(t: number): { hex: string; offsets: Record<string, number> } {
  const o = poseidonOptimized(t);
  const words: bigint[] = [];
  const offsets: Record<string, number> = {};
  const mark = (name: string): void => {
    offsets[name] = words.length * 32;
  };
  mark('firstC');
  for (const row of o.firstC) words.push(...row);
  mark('lastC');
  for (const row of o.lastC) words.push(...row);
  mark('mds');
  for (const row of o.mds) words.push(...row);
  mark('pre');
  for (const row of o.pre) words.push(...row);
  mark('k');
  words.push(...o.k);
  mark('w');
  for (const row of o.w) words.push(...row);
  mark('v');
  for (const row of o.v) words.push(...row);
  return { hex: words.map(word).join(''), offsets };
}

/**
 * `split`: the constants after `k` (the partial rounds' w and v, ~21 KB at t = 6) live in the code of a
 * separate data contract (PoseidonT<t>Data, pinned by its code hash) and are EXTCODECOPYed next to the
 * rest, because the whole blob would exceed the 24 KB contract size limit. The modulus is then a literal
 * inside the assembly: t = 6 leaves no stack slot for a variable.
 */
export function poseidonSolidity(t: number, split = false): string {
  const n = t - 1;
  const o = poseidonOptimized(t);
  const blob = constantsBlob(t);
  const offsets = blob.offsets;
  const cut = (offsets['w'] ?? 0) * 2;
  const hex = split ? blob.hex.slice(0, cut) : blob.hex;
  const dataHex = blob.hex.slice(cut);
  const lenA = cut / 2;
  const lenB = dataHex.length / 2;
  const P_ = split ? P : 'P';
  const rf = POSEIDON_FULL_ROUNDS / 2;
  const lanes = Array.from({ length: t }, (_, i) => i);
  const off = (name: string): number => offsets[name] ?? 0;
  // State lives in memory at `st` (t words); constants at `c` (copied once).
  const dense = (matOffset: string): string =>
    [
      `                for { let i := 0 } lt(i, ${t}) { i := add(i, 1) } {`,
      `                    let row := add(c, add(${off(matOffset)}, mul(i, ${32 * t})))`,
      `                    let acc := 0`,
      ...lanes.map((j) => `                    acc := addmod(acc, mulmod(mload(add(row, ${32 * j})), s${j}, ${P_}), ${P_})`),
      `                    mstore(add(tmp, mul(i, 32)), acc)`,
      `                }`,
      ...lanes.map((j) => `                s${j} := mload(add(tmp, ${32 * j}))`),
    ].join('\n');
  const sbox = (v: string): string => `${v} := mulmod(mulmod(mulmod(${v}, ${v}, ${P_}), mulmod(${v}, ${v}, ${P_}), ${P_}), ${v}, ${P_})`;
  const fullRound = (cOffset: string, roundVar: string, mat: string): string =>
    [
      `                let rc := add(c, add(${off(cOffset)}, mul(${roundVar}, ${32 * t})))`,
      ...lanes.map((j) => `                s${j} := addmod(s${j}, mload(add(rc, ${32 * j})), ${P_})`),
      ...lanes.map((j) => `                ${sbox(`s${j}`)}`),
      dense(mat),
    ].join('\n');
  const header = split
    ? `    /// @notice The data contract holding the w and v constants (after a leading STOP byte).
    address public immutable constantsData;

    /// @dev Reverts with InputNotInField(i) if inputs[i] >= p, so a caller cannot alias two values.
    error InputNotInField(uint256 index);
    /// @dev The constants contract is not PoseidonT${t}Data (its code hash is pinned here).
    error BadConstantsContract(address data);

    constructor(address data) {
        if (data.codehash != ${bytesToHex(keccak_256(hexToBytes(`0x00${dataHex}`)))}) revert BadConstantsContract(data);
        constantsData = data;
    }

    function hash(uint256[${n}] calldata inputs) external view returns (uint256 out) {
${Array.from({ length: n }, (_, i) => `        if (inputs[${i}] >= ${P}) revert InputNotInField(${i});`).join('\n')}
        bytes memory constants = C;
        {
            address data = constantsData;
            assembly {
                extcodecopy(data, add(add(constants, 32), ${lenA}), 1, ${lenB})
            }
        }
        assembly {
            let c := add(constants, 32)
            let tmp := add(c, ${lenA + lenB})
            mstore(0x40, add(tmp, ${32 * t}))
`
    : `    /// @dev Reverts with InputNotInField(i) if inputs[i] >= p, so a caller cannot alias two values.
    error InputNotInField(uint256 index);

    function hash(uint256[${n}] calldata inputs) external pure returns (uint256 out) {
        uint256 P = ${P};
${Array.from({ length: n }, (_, i) => `        if (inputs[${i}] >= P) revert InputNotInField(${i});`).join('\n')}
        bytes memory constants = C;
        assembly {
            let c := add(constants, 32)
            let tmp := mload(0x40)
            mstore(0x40, add(tmp, ${32 * t}))
`;
  const data = split
    ? `

/// @notice The w and v constants of PoseidonT${t} as contract code (a STOP byte first, so it cannot run).
contract PoseidonT${t}Data {
    constructor() {
        bytes memory code = hex"00${dataHex}";
        assembly {
            return(add(code, 32), mload(code))
        }
    }
}
`
    : '\n';
  return `// SPDX-License-Identifier: MIT
// GENERATED by scripts/gen-poseidon-sol.ts from src/core/poseidon-params.ts — do not edit.
pragma solidity ^0.8.24;

/// @notice circomlib-compatible Poseidon of ${n} field elements (width t = ${t}, ${o.partialRounds} partial rounds).
contract PoseidonT${t} {
    bytes private constant C = hex"${hex}";

${header}            let s0 := 0
${Array.from({ length: n }, (_, i) => `            let s${i + 1} := calldataload(add(inputs, ${32 * i}))`).join('\n')}
            for { let r := 0 } lt(r, ${rf}) { r := add(r, 1) } {
                // The last first-half round multiplies by the precomputed P = diag(1, M^^R_P)·M.
                switch eq(r, ${rf - 1})
                case 0 {
${fullRound('firstC', 'r', 'mds')}
                }
                default {
${fullRound('firstC', 'r', 'pre')}
                }
            }
            for { let r := 0 } lt(r, ${o.partialRounds}) { r := add(r, 1) } {
                s0 := addmod(s0, mload(add(c, add(${off('k')}, mul(r, 32)))), ${P_})
                ${sbox('s0')}
                let w := add(c, add(${off('w')}, mul(r, ${32 * t})))
                let v := add(c, add(${off('v')}, mul(r, ${32 * (t - 1)})))
                let n0 := 0
${lanes.map((j) => `                n0 := addmod(n0, mulmod(mload(add(w, ${32 * j})), s${j}, ${P_}), ${P_})`).join('\n')}
${lanes.slice(1).map((j) => `                s${j} := addmod(s${j}, mulmod(mload(add(v, ${32 * (j - 1)})), s0, ${P_}), ${P_})`).join('\n')}
                s0 := n0
            }
            for { let r := 0 } lt(r, ${rf}) { r := add(r, 1) } {
${fullRound('lastC', 'r', 'mds')}
            }
            out := s0
        }
    }
}${data}`;
}

/** Widths whose optimised constants would not fit the 24 KB contract size limit keep part of them in a data contract. */
const SPLIT_WIDTHS: ReadonlySet<number> = new Set([6]);

export function generatePoseidonContracts(outDir: string, widths: readonly number[] = [3, 4, 5, 6]): string[] {
  mkdirSync(outDir, { recursive: true });
  return widths.map((t) => {
    const file = join(outDir, `PoseidonT${t}.sol`);
    writeFileSync(file, poseidonSolidity(t, SPLIT_WIDTHS.has(t)));
    return file;
  });
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const files = generatePoseidonContracts(join(import.meta.dirname, '..', 'contracts', 'generated'));
  for (const f of files) process.stdout.write(`wrote ${f}\n`);
}
