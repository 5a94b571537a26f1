/**
 * `npm run build:contracts`: compiles every contracts/**\/*.sol with the `solc` npm package (standard JSON,
 * optimizer on, evmVersion cancun; OpenZeppelin imports resolved from node_modules) and writes, into the
 * gitignored src/l1/generated/:
 *   - `<Contract>.ts`: typed viem bindings (`export const adjudicatorAbi = [...] as const`, `...Bytecode`),
 *   - `artifacts/<Contract>.json`: ABI, bytecode, deployed bytecode, source name and compiler settings.
 * A hash of the compiler version, settings and every source (including imported library files) is kept
 * in src/l1/generated/.build-hash; when nothing changed the script returns at once, so tests stay fast.
 *
 * Usage: tsx scripts/build-contracts.ts [--force] [--quiet]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RampartError } from '../src/core/errors.ts';
import { generatePoseidonContracts } from './gen-poseidon-sol.ts';

const require = createRequire(import.meta.url);

/** Bump when the generated file format changes, so caches built by an older script are rebuilt. */
const GENERATOR_VERSION = '1';

export type BuildContractsOptions = {
  /** Repository root; contracts/ and node_modules/ are resolved from it. */
  readonly root: string;
  /** Folder with the Solidity sources, relative to root. */
  readonly contractsDir: string;
  /** Output folder, relative to root. */
  readonly outDir: string;
  readonly optimizerRuns: number;
  readonly evmVersion: string;
  /** Rebuild even when the hash matches. */
  readonly force: boolean;
  readonly log: (line: string) => void;
};

export type BuildContractsReturnType = {
  readonly skipped: boolean;
  readonly contracts: readonly string[];
  readonly hash: string;
};

export class ContractBuildError extends RampartError {
  override readonly name = 'ContractBuildError';
  constructor(message: string, details: Readonly<Record<string, unknown>> = {}) {
    super('CONTRACT_BUILD_FAILED', message, { details });
  }
}

type SolcOutput = {
  errors?: { severity: string; formattedMessage: string; sourceLocation?: { file: string } }[];
  sources?: Record<string, { id: number }>;
  contracts?: Record<
    string,
    Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
};

type Solc = { version(): string; compile(input: string, callbacks: { import: (p: string) => unknown }): string };

const here = dirname(fileURLToPath(import.meta.url));

export const defaultBuildContractsOptions: BuildContractsOptions = {
  root: resolve(here, '..'),
  contractsDir: 'contracts',
  outDir: 'src/l1/generated',
  optimizerRuns: 200,
  evmVersion: 'cancun',
  force: false,
  log: (line) => process.stderr.write(`${line}\n`),
};

function listSolidity(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) listSolidity(path, out);
    else if (name.endsWith('.sol')) out.push(path);
  }
}

/** `TestToken` -> `testToken`, `ERC20Mock` -> `erc20Mock`. */
export function bindingName(contract: string): string {
  const lead = /^[A-Z]+(?=[A-Z][a-z]|[0-9]|$)/.exec(contract)?.[0] ?? contract.charAt(0);
  return lead.toLowerCase() + contract.slice(lead.length);
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Resolves an import the way solc expects: project-relative paths first, then node_modules packages. */
function resolveImport(root: string, path: string): string | undefined {
  const candidates = [join(root, path), join(root, 'node_modules', path)];
  for (const c of candidates) {
    const abs = resolve(c);
    // Never read outside the repository (a crafted import like ../../etc/passwd).
    if (!abs.startsWith(resolve(root) + sep)) continue;
    if (existsSync(abs)) return abs;
  }
  return undefined;
}

export function buildContracts(options: Partial<BuildContractsOptions> = {}): BuildContractsReturnType {
  const opts = { ...defaultBuildContractsOptions, ...options };
  const root = resolve(opts.root);
  const srcDir = join(root, opts.contractsDir);
  const outDir = join(root, opts.outDir);
  const files: string[] = [];
  listSolidity(srcDir, files);
  if (files.length === 0) throw new ContractBuildError(`no .sol files under ${srcDir}`);

  const solc = require('solc') as Solc;
  const settings = {
    optimizer: { enabled: true, runs: opts.optimizerRuns },
    evmVersion: opts.evmVersion,
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  };
  const sources: Record<string, { content: string }> = {};
  for (const f of files) sources[relative(root, f).split(sep).join('/')] = { content: readFileSync(f, 'utf8') };

  // The hash covers the library version too: an OpenZeppelin upgrade must rebuild.
  const ozPkg = resolveImport(root, '@openzeppelin/contracts/package.json');
  const ozVersion = ozPkg === undefined ? 'none' : (JSON.parse(readFileSync(ozPkg, 'utf8')) as { version: string }).version;
  const hasher = createHash('sha256');
  hasher.update(JSON.stringify({ GENERATOR_VERSION, solc: solc.version(), settings, ozVersion }));
  for (const [name, { content }] of Object.entries(sources)) hasher.update(`\0${name}\0${content}`);
  const hash = hasher.digest('hex');
  const hashFile = join(outDir, '.build-hash');
  const manifestFile = join(outDir, '.contracts.json');
  if (!opts.force && existsSync(hashFile) && existsSync(manifestFile) && readFileSync(hashFile, 'utf8').trim() === hash) {
    const contracts = JSON.parse(readFileSync(manifestFile, 'utf8')) as string[];
    if (contracts.every((c) => existsSync(join(outDir, `${c}.ts`)))) {
      return { skipped: true, contracts, hash };
    }
  }

  opts.log(`build-contracts: compiling ${files.length} files with solc ${solc.version()}`);
  const input = { language: 'Solidity', sources, settings };
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import: (path: string) => {
        const abs = resolveImport(root, path);
        return abs === undefined ? { error: `import not found: ${path}` } : { contents: readFileSync(abs, 'utf8') };
      },
    }),
  ) as SolcOutput;
  const problems = output.errors ?? [];
  // Library warnings (e.g. OpenZeppelin's note on transient storage) are not ours to fix: show only
  // warnings located in the project's own sources.
  const ownWarnings = problems.filter(
    (e) => e.severity !== 'error' && (e.sourceLocation === undefined || e.sourceLocation.file in sources),
  );
  for (const p of ownWarnings) opts.log(p.formattedMessage.trimEnd());
  const errors = problems.filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new ContractBuildError(`solc reported ${errors.length} error(s):\n${errors.map((e) => e.formattedMessage).join('\n')}`, {
      count: errors.length,
    });
  }

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'artifacts'), { recursive: true });
  const written: string[] = [];
  for (const sourceName of Object.keys(sources)) {
    const unit = output.contracts?.[sourceName] ?? {};
    for (const [contract, out] of Object.entries(unit)) {
      if (written.includes(contract)) {
        throw new ContractBuildError(`two contracts are named ${contract}; names must be unique across contracts/`, {
          contract,
        });
      }
      const bytecode = `0x${out.evm.bytecode.object}`;
      const deployed = `0x${out.evm.deployedBytecode.object}`;
      const artifact = { contractName: contract, sourceName, compiler: solc.version(), settings, abi: out.abi, bytecode, deployedBytecode: deployed };
      writeAtomic(join(outDir, 'artifacts', `${contract}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
      const base = bindingName(contract);
      const ts = [
        `// Generated by scripts/build-contracts.ts from ${sourceName} (solc ${solc.version()}). Do not edit.`,
        `export const ${base}Abi = ${JSON.stringify(out.abi, null, 2)} as const;`,
        '',
        `export const ${base}Bytecode: \`0x\${string}\` = '${bytecode}';`,
        '',
        `export const ${base}DeployedBytecode: \`0x\${string}\` = '${deployed}';`,
        '',
      ].join('\n');
      writeAtomic(join(outDir, `${contract}.ts`), ts);
      written.push(contract);
    }
  }
  writeAtomic(manifestFile, `${JSON.stringify(written)}\n`);
  writeAtomic(hashFile, `${hash}\n`);
  opts.log(`build-contracts: wrote ${written.length} contracts to ${relative(root, outDir)}`);
  return { skipped: false, contracts: written, hash };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const quiet = args.includes('--quiet');
  try {
    // Generated sources first (Poseidon from the core's parameters); unchanged content keeps the hash.
    generatePoseidonContracts(join(here, '..', 'contracts', 'generated'));
    const r = buildContracts({ force: args.includes('--force'), ...(quiet ? { log: () => {} } : {}) });
    if (r.skipped && !quiet) process.stderr.write(`build-contracts: up to date (${r.contracts.length} contracts)\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
