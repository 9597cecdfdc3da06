import cliProgress from 'cli-progress';

export interface Bar {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

/** A progress bar on stderr, or nothing when stderr is not a terminal (logs, CI, pipes). */
export function progressBar(label: string, enabled = Boolean(process.stderr.isTTY)): Bar {
  if (!enabled) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: '{label} [{bar}] {value}/{total} {eta_formatted}', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, l) {
      if (!started) {
        bar.start(total, done, { label: l ?? label });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { label: l ?? label });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
