/**
 * A progress bar on stderr for training, so stdout stays machine-readable (the evaluation CLIs end
 * with one JSON line). Redraws at most every 100 ms; silent when stderr is not a terminal, except
 * for a final summary line.
 */

/** Returns an `onProgress(done, total)` callback that draws `label [####    ] 42 %`. */
export function createProgressBar(label: string): (done: number, total: number) => void {
  const stream = process.stderr;
  let lastDrawAt = 0;
  return (done, total) => {
    const now = Date.now();
    const finished = done >= total;
    if (!finished && now - lastDrawAt < 100) return;
    lastDrawAt = now;
    const width = 30;
    const filled = Math.round((done / total) * width);
    const bar = `${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round((done / total) * 100)} %`;
    if (stream.isTTY) stream.write(`\r${bar}${finished ? '\n' : ''}`);
    else if (finished) stream.write(`${bar}\n`);
  };
}
