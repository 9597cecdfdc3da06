import { loadCausalLm, type TextLm } from '../summary/gen-lm.js';
import type { LmReply, LmRequest } from '../summary/worker-protocol.js';

/**
 * Test support: a stand-in for the summary worker (summary/worker.ts) in Node, where there is no
 * Worker. It speaks the same messages to worker-client.ts, runs the real LM in this thread, and
 * holds its load reply until `release()`, so a test decides when "the download" finishes. It
 * counts the requests it served by op and remembers whether it was terminated.
 */
export class LateWorker {
  onmessage: ((e: MessageEvent<LmReply>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  terminated = false;
  readonly counts: Record<string, number> = {};
  private lm?: TextLm;
  private gate: Promise<void>;
  private open!: () => void;
  private queue: Promise<unknown> = Promise.resolve();

  constructor() {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  /** As `summaryWorker` takes it: worker-client.ts uses only onmessage, onerror, postMessage and terminate. */
  asWorker(): Worker {
    return this as unknown as Worker;
  }

  /** Lets the held load go on. */
  release(): void {
    this.open();
  }

  postMessage(r: LmRequest): void {
    this.counts[r.op] = (this.counts[r.op] ?? 0) + 1;
    // one request at a time in arrival order, as the real worker serves them
    this.queue = this.queue.then(async () => {
      try {
        this.reply({ id: r.id, ok: true, value: await this.handle(r) });
      } catch (err) {
        this.reply({ id: r.id, ok: false, error: { code: 'ERROR', message: err instanceof Error ? err.message : String(err) } });
      }
    });
  }

  terminate(): void {
    this.terminated = true;
    this.lm?.dispose();
    this.lm = undefined;
  }

  private async handle(r: LmRequest): Promise<unknown> {
    switch (r.op) {
      case 'load':
        await this.gate;
        // terminated while "downloading": a real worker would be gone, so no model is loaded
        if (this.terminated) return new Promise(() => {});
        this.lm = await loadCausalLm(r.model, r.options);
        return this.lm.name;
      case 'generate':
        return this.lm!.generate(r.prompt, r.maxNewTokens);
      case 'yesNo':
        return this.lm!.yesNo(r.prompts, r.words);
      default:
        throw new Error(`LateWorker serves the LM only, not ${r.op}`);
    }
  }

  private reply(m: LmReply): void {
    if (!this.terminated) this.onmessage?.({ data: m } as MessageEvent<LmReply>);
  }
}
