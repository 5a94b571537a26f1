/** Messages between the development ceremony (main thread) and its workers. */
import type { Bn254WasmCode, Group } from './ceremony-wasm.ts';
import type { ScalarBlock } from './ceremony-scalars.ts';

/** Points from scalars the worker derives from its secrets (a block), or from scalars it is given. */
export type CeremonyJob = {
  readonly id: number;
  readonly group: Group;
  readonly count: number;
} & (
  | ({ readonly kind: ScalarBlock['kind'] } & Omit<ScalarBlock, 'kind' | 'count'>)
  | {
      readonly kind: 'explicit';
      /** count scalars, 32-byte little-endian standard form; secret-derived, zeroed by the worker. */
      readonly scalars: Uint8Array;
    }
);

export type CeremonyWorkerRequest =
  | {
      readonly type: 'init';
      readonly code: Bn254WasmCode;
      /** τ‖α‖β, 32-byte little-endian standard form each; transferred, and zeroed by the worker. */
      readonly secrets: ArrayBuffer;
      /** ω_p for p = 0..28 in Montgomery form (ffjavascript's Fr.w), 32 bytes each. */
      readonly roots: Uint8Array;
      /** Fixed-base window width per group. */
      readonly windows: Readonly<Record<Group, number>>;
    }
  | ({ readonly type: 'job' } & CeremonyJob)
  | { readonly type: 'close' };

export type CeremonyWorkerResponse =
  | { readonly type: 'ready' }
  | { readonly type: 'table'; readonly group: Group; readonly ms: number }
  | { readonly type: 'result'; readonly id: number; readonly points: Uint8Array }
  | { readonly type: 'error'; readonly id: number; readonly message: string }
  | { readonly type: 'closed' };
