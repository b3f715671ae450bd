/** One line per event on stderr, so stdout stays free; a log collector adds the time. */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const stderrLog: Log = {
  info: (m) => process.stderr.write(`txbox relay: ${m}\n`),
  warn: (m) => process.stderr.write(`txbox relay: warning: ${m}\n`),
  error: (m) => process.stderr.write(`txbox relay: error: ${m}\n`),
};
