/**
 * The messages between worker-client.ts (main thread) and worker.ts (the module worker that runs
 * the generative models: the LM, or the captioner). Plain data only; errors travel as their
 * MolarError parts. Images cross decoded (RGBA pixels): the page fetched and decoded them.
 */
import type { TransformersOptions } from '../encoders/hf.js';
import type { DecodedImage, EncodeProgress } from '../encoders/types.js';
import type { MolarErrorCode } from '../errors.js';

export type LmRequest =
  | { id: number; op: 'load'; model: string; options: TransformersOptions; progress: boolean }
  | { id: number; op: 'generate'; prompt: string; maxNewTokens: number }
  | { id: number; op: 'yesNo'; prompts: string[]; words?: { yes: string; no: string } }
  | { id: number; op: 'loadCaptioner'; model: string; options: TransformersOptions & { maxNewTokens?: number }; progress: boolean }
  | { id: number; op: 'caption'; image: DecodedImage };

export interface WireError {
  code: MolarErrorCode | 'ERROR';
  message: string;
  file?: string;
  line?: number;
  field?: string;
}

/** `progress` messages come while a load runs (only when asked for); then exactly one ok / error reply. */
export type LmReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError } | { id: number; progress: EncodeProgress };
