// Prints one plain "N passed, N failed" line at the end, a summary any CI log reader understands.
//
// It also keeps a finished run from hanging. With --runInBand the specs run in jest's own process,
// and jest waits for that process to go idle by itself: one server, socket or child process a spec
// left open would keep it (and CI) waiting until CI's deadline, with nothing in the log to say why.
// So, once the run is over, anything still holding the process after a grace period is named on
// stderr and the process exits with the run's outcome.
const EXIT_GRACE_MS = 10_000;

/** What keeps the event loop alive, e.g. "Socket 127.0.0.1:41234 -> 127.0.0.1:6379" or "ChildProcess 4242". */
function describeHandle(handle) {
  const name = handle?.constructor?.name ?? typeof handle;
  if (name === 'Socket' && handle.remotePort)
    return `Socket ${handle.localAddress}:${handle.localPort} -> ${handle.remoteAddress}:${handle.remotePort}`;
  if (name === 'Server' && typeof handle.address === 'function') return `Server ${JSON.stringify(handle.address())}`;
  if (name === 'ChildProcess') return `ChildProcess ${handle.pid} ${handle.spawnargs?.join(' ') ?? ''}`;
  return name;
}

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(
      `\njest: ${results.numPassedTests} passed, ${results.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : '') + '\n',
    );
    const failed = results.numFailedTests > 0 || results.numFailedTestSuites > 0 || results.numRuntimeErrorTestSuites > 0;
    // Unref'd: this timer alone never keeps the process alive, so it fires only when something else does.
    setTimeout(() => {
      // process._getActiveHandles is undocumented but the only way to see which socket or server it is.
      const handles = typeof process._getActiveHandles === 'function' ? process._getActiveHandles() : [];
      const open = handles.map(describeHandle).filter((h) => h !== 'WriteStream' && h !== 'ReadStream');
      process.stderr.write(
        `\njest: the process was still held ${EXIT_GRACE_MS / 1000} s after the last spec, by ${open.length ? open.join('; ') : process.getActiveResourcesInfo().join(', ')}; exiting (a spec left this open)\n`,
      );
      process.exit(failed ? 1 : 0);
    }, EXIT_GRACE_MS).unref();
  }
}
module.exports = SummaryReporter;
