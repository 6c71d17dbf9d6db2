/**
 * Runs fn and reports how far the process's memory rose above where it was before, at most
 * (RSS, and the JS heap plus buffers), and how long it took. Sampled every 5 ms. Tests only.
 */
export async function peakMemoryGrowth<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; rss: number; js: number; ms: number }> {
  const js = () => {
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers + usage.external;
  };
  const started = performance.now();
  const baseRss = process.memoryUsage.rss();
  const baseJs = js();
  let peakRss = baseRss;
  let peakJs = baseJs;
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakJs = Math.max(peakJs, js());
  };
  const timer = setInterval(sample, 5);
  try {
    const value = await fn();
    sample();
    return { value, rss: peakRss - baseRss, js: peakJs - baseJs, ms: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}
