/**
 * The messages between worker-client.ts (main thread) and worker.ts (the module worker that runs
 * the generative LM). Plain data only; errors travel as their MolarError parts.
 */
import type { TransformersOptions } from '../encoders/hf.js';
import type { EncodeProgress } from '../encoders/types.js';
import type { MolarErrorCode } from '../errors.js';

export type LmRequest =
  | { id: number; op: 'load'; model: string; options: TransformersOptions; progress: boolean }
  | { id: number; op: 'generate'; prompt: string; maxNewTokens: number }
  | { id: number; op: 'yesNo'; prompts: string[]; words?: { yes: string; no: string } };

export interface WireError {
  code: MolarErrorCode | 'ERROR';
  message: string;
  file?: string;
  line?: number;
  field?: string;
}

/** `progress` messages come while a load runs (only when asked for); then exactly one ok / error reply. */
export type LmReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError } | { id: number; progress: EncodeProgress };
