import cliProgress from 'cli-progress';

/**
 * A progress bar on stderr (cli-progress): redrawn on a terminal, a line every few seconds
 * otherwise, so long seeding runs stay visible in logs too.
 */
export interface Progress {
  tick(done: number): void;
  end(): void;
}

export function progress(label: string, total: number): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% {value}/{total} {rate}/s ETA {eta_formatted}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5_000,
      barsize: 30,
      hideCursor: false,
    },
    cliProgress.Presets.legacy,
  );
  const started = performance.now();
  bar.start(total, 0, { rate: '0' });
  return {
    tick(done) {
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, { rate: seconds > 0 ? (done / seconds).toFixed(0) : '0' });
    },
    end() {
      bar.stop();
    },
  };
}

export const note = (line: string): void => void process.stderr.write(`${line}\n`);
