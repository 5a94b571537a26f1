/**
 * The on-chain Groth16 verifier: the Solidity contract snarkjs generates from the proving key
 * (setup.ts writes it as Groth16Verifier.sol), compiled with the `solc` npm package under the same
 * settings as scripts/build-contracts.ts, deployed with src/l1/deployContract.ts, and called with
 * proofs from prover.ts.
 *
 * The contract's `verifyProof(uint[2] _pA, uint[2][2] _pB, uint[2] _pC, uint[N] _pubSignals)`
 * returns false (it never reverts) for a proof that does not verify, for points off the curve
 * and for public signals ≥ r. With N = 1 it is exactly the interface contracts/rollup/Rollup.sol
 * calls (IBatchVerifier), which `buildVerifierContract` checks by selector.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Abi, type Address, type Hex, decodeFunctionResult, encodeFunctionData, toFunctionSelector } from 'viem';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { deployContract } from '../l1/deployContract.ts';
import { sendAndWait } from '../l1/sendAndWait.ts';
import type { ProofPoints } from './prover-protocol.ts';
import { SetupError } from './setup-errors.ts';
import { openSnarkjsWorker } from './setup-tasks.ts';
import type { Groth16ProofJson, VerificationKeyJson } from './snarkjs-api.ts';

const require = createRequire(import.meta.url);

/** The Rollup's IBatchVerifier.verifyProof (one public signal). */
export const ROLLUP_VERIFY_PROOF_SIGNATURE = 'verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[1])';

/** Compiler settings of scripts/build-contracts.ts, so the verifier is built like every contract. */
const SOLC_SETTINGS = { optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun' } as const;

export type VerifierArtifact = {
  readonly contractName: 'Groth16Verifier';
  readonly abi: Abi;
  readonly bytecode: Hex;
  readonly deployedBytecode: Hex;
  readonly nPublic: number;
  readonly compiler: string;
  /** SHA-256 of the Solidity source it was compiled from. */
  readonly sourceSha256: string;
};

type Solc = { version(): string; compile(input: string): string };
type SolcOutput = {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
};

/** The ABI of a snarkjs Groth16 verifier with `nPublic` public signals. */
export function groth16VerifierAbi(nPublic: number): Abi {
  return [
    {
      type: 'function',
      name: 'verifyProof',
      stateMutability: 'view',
      inputs: [
        { name: '_pA', type: 'uint256[2]' },
        { name: '_pB', type: 'uint256[2][2]' },
        { name: '_pC', type: 'uint256[2]' },
        { name: '_pubSignals', type: `uint256[${nPublic}]` },
      ],
      outputs: [{ name: '', type: 'bool' }],
    },
  ];
}

/**
 * Compiles the generated verifier and checks its interface: one `verifyProof` with the Groth16
 * argument shapes. Throws VERIFIER_BUILD_FAILED otherwise.
 */
export function buildVerifierContract(source: string): VerifierArtifact {
  const solc = require('solc') as Solc;
  const input = {
    language: 'Solidity',
    sources: { 'Groth16Verifier.sol': { content: source } },
    settings: { ...SOLC_SETTINGS, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } } },
  };
  let output: SolcOutput;
  try {
    output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  } catch (cause) {
    throw new SetupError('VERIFIER_BUILD_FAILED', 'solc failed on the generated verifier', { cause });
  }
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new SetupError('VERIFIER_BUILD_FAILED', `solc rejected the generated verifier:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  }
  const out = output.contracts?.['Groth16Verifier.sol']?.['Groth16Verifier'];
  if (out === undefined) throw new SetupError('VERIFIER_BUILD_FAILED', 'the generated source has no Groth16Verifier contract');
  const fn = out.abi.find((x) => x.type === 'function' && x.name === 'verifyProof');
  const inputs = fn !== undefined && fn.type === 'function' ? fn.inputs : [];
  const last = inputs[3]?.type ?? '';
  const m = /^uint256\[(\d+)\]$/.exec(last);
  const shapes = inputs.slice(0, 3).map((i) => i.type);
  const outputs = fn !== undefined && fn.type === 'function' ? fn.outputs.map((o) => o.type) : [];
  if (m?.[1] === undefined || shapes.join(',') !== 'uint256[2],uint256[2][2],uint256[2]' || outputs.join(',') !== 'bool') {
    throw new SetupError('VERIFIER_BUILD_FAILED', 'the generated verifier does not expose verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N]) returns (bool)');
  }
  return {
    contractName: 'Groth16Verifier',
    abi: out.abi,
    bytecode: `0x${out.evm.bytecode.object}`,
    deployedBytecode: `0x${out.evm.deployedBytecode.object}`,
    nPublic: Number(m[1]),
    compiler: solc.version(),
    sourceSha256: createHash('sha256').update(source).digest('hex'),
  };
}

/** True when the artifact is callable by contracts/rollup/Rollup.sol (one public signal). */
export function matchesRollupInterface(artifact: VerifierArtifact): boolean {
  const rollup = toFunctionSelector(ROLLUP_VERIFY_PROOF_SIGNATURE);
  const fn = artifact.abi.find((x) => x.type === 'function' && x.name === 'verifyProof');
  return fn !== undefined && fn.type === 'function' && toFunctionSelector(fn) === rollup;
}

/**
 * The compiled verifier of a setup folder (setup.ts's `Groth16Verifier.sol`), compiled once and
 * cached beside it as `Groth16Verifier.json` (rebuilt when the source or the compiler changes).
 */
export async function loadVerifierArtifact(sourcePath: string): Promise<VerifierArtifact> {
  if (!existsSync(sourcePath)) throw new SetupError('VERIFIER_BUILD_FAILED', `verifier source not found: ${sourcePath}`);
  const source = readFileSync(sourcePath, 'utf8');
  const sha = createHash('sha256').update(source).digest('hex');
  const cachePath = join(dirname(sourcePath), 'Groth16Verifier.json');
  const solcVersion = (require('solc') as Solc).version();
  if (existsSync(cachePath)) {
    try {
      const cached = JSON.parse(readFileSync(cachePath, 'utf8')) as VerifierArtifact;
      if (cached.sourceSha256 === sha && cached.compiler === solcVersion) return cached;
    } catch {
      // A corrupt cache entry is rebuilt below.
    }
  }
  const artifact = buildVerifierContract(source);
  const tmp = `${cachePath}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(artifact, null, 1)}\n`);
  await rename(tmp, cachePath);
  return artifact;
}

export type DeployVerifierReturnType = { readonly address: Address; readonly gasUsed: bigint; readonly hash: Hex };

export async function deployVerifier(clients: L1Clients, artifact: VerifierArtifact): Promise<DeployVerifierReturnType> {
  return deployContract({ clients, abi: artifact.abi, bytecode: artifact.bytecode, name: 'Groth16Verifier' });
}

/** Calldata of `verifyProof(a, b, c, publicSignals)`. */
export function verifyProofCalldata(proof: ProofPoints, publicSignals: readonly bigint[]): Hex {
  return encodeFunctionData({
    abi: groth16VerifierAbi(publicSignals.length),
    functionName: 'verifyProof',
    args: [proof.a, proof.b, proof.c, publicSignals],
  });
}

/** Calls the deployed verifier (eth_call); true only for a proof that verifies. */
export async function verifyOnChain(clients: L1Clients, address: Address, proof: ProofPoints, publicSignals: readonly bigint[]): Promise<boolean> {
  const data = verifyProofCalldata(proof, publicSignals);
  const { data: ret } = await clients.public.call({ to: address, data });
  if (ret === undefined) throw new SetupError('VERIFIER_BUILD_FAILED', `no code answered verifyProof at ${address}`);
  const r: unknown = decodeFunctionResult({ abi: groth16VerifierAbi(publicSignals.length), functionName: 'verifyProof', data: ret });
  return r === true;
}

/** Intrinsic gas of a transaction's calldata (EIP-2028: 16 per nonzero byte, 4 per zero byte). */
export function calldataGas(data: Hex): bigint {
  let gas = 0n;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === '00' ? 4n : 16n;
  return gas;
}

export type VerifierGasReturnType = {
  /** gasUsed of a transaction calling verifyProof (21000 + calldata + execution). */
  readonly txGas: bigint;
  /** The contract's own execution: txGas − 21000 − calldata gas. */
  readonly executionGas: bigint;
};

/** Sends verifyProof as a transaction to measure what verifying costs on chain. */
export async function measureVerifierGas(clients: L1Clients, address: Address, proof: ProofPoints, publicSignals: readonly bigint[]): Promise<VerifierGasReturnType> {
  const wallet = clients.wallet;
  if (wallet === undefined) throw new SetupError('VERIFIER_BUILD_FAILED', 'measuring verifier gas needs a funded key');
  const data = verifyProofCalldata(proof, publicSignals);
  const receipt = await sendAndWait({ public: clients.public, context: 'verifyProof', send: () => wallet.sendTransaction({ to: address, data }) });
  return { txGas: receipt.gasUsed, executionGas: receipt.gasUsed - 21000n - calldataGas(data) };
}

/** snarkjs's JSON form of a proof (pi_b back in [c0, c1] order). */
export function proofToSnarkjs(proof: ProofPoints): Groth16ProofJson {
  return {
    pi_a: [proof.a[0].toString(), proof.a[1].toString(), '1'],
    pi_b: [
      [proof.b[0][1].toString(), proof.b[0][0].toString()],
      [proof.b[1][1].toString(), proof.b[1][0].toString()],
      ['1', '0'],
    ],
    pi_c: [proof.c[0].toString(), proof.c[1].toString(), '1'],
    protocol: 'groth16',
    curve: 'bn128',
  };
}

/** Checks a proof with `snarkjs.groth16.verify` (on a worker thread, which then ends). */
export async function verifyProofLocally(vk: VerificationKeyJson, proof: ProofPoints, publicSignals: readonly bigint[]): Promise<boolean> {
  const [ok] = await verifyProofsLocally(vk, [{ proof, publicSignals }]);
  return ok === true;
}

/** Checks several proofs against one key with `snarkjs.groth16.verify`, on one worker thread. */
export async function verifyProofsLocally(
  vk: VerificationKeyJson,
  items: readonly { readonly proof: ProofPoints; readonly publicSignals: readonly bigint[] }[],
): Promise<boolean[]> {
  const worker = openSnarkjsWorker();
  try {
    const out: boolean[] = [];
    for (const { proof, publicSignals } of items) {
      out.push(await worker.run({ op: 'verifyProof', vk, proof: proofToSnarkjs(proof), publicSignals: publicSignals.map((x) => x.toString()) }));
    }
    return out;
  } finally {
    await worker.close();
  }
}
