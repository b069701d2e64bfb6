import { StringDecoder } from 'node:string_decoder';
import { neutraliseControls } from '../text/terminal';

/** The last `size` lines of output, in order of arrival. */
export class TailBuffer {
  private readonly kept: string[] = [];
  constructor(private readonly size = 20) {}
  add(line: string): void {
    this.kept.push(line);
    if (this.kept.length > this.size) this.kept.shift();
  }
  lines(): string[] {
    return [...this.kept];
  }
}

/** Longest line kept whole (characters); a longer one is written in pieces of this size. */
export const MAX_LINE = 64 * 1024;

/**
 * Splits a byte stream into lines, writes each complete line at once with a
 * prefix, and keeps the last few lines for error messages. A container's
 * output never drives the terminal: every control sequence is removed
 * (neutraliseControls) before a line is printed, kept or masked.
 */
export class LineWriter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(
    private readonly write: (text: string) => void,
    private readonly prefix = '',
    /** May be shared by the stdout and stderr writers of one process. */
    readonly tailBuffer: TailBuffer = new TailBuffer(),
    /** Rewrites each line (e.g. masks credentials); returning undefined drops it. */
    private readonly filter: (line: string) => string | undefined = (line) => line,
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.emit(line);
    // A build that prints without end of line must not grow our memory: a long line is written in pieces.
    while (this.partial.length > MAX_LINE) {
      this.emit(this.partial.slice(0, MAX_LINE));
      this.partial = this.partial.slice(MAX_LINE);
    }
  }

  /** Writes the last unterminated line, if any. */
  flush(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.emit(rest);
  }

  private emit(raw: string): void {
    // Control sequences go before the filter: what it masks is what a terminal would show.
    const line = this.filter(neutraliseControls(raw.endsWith('\r') ? raw.slice(0, -1) : raw));
    if (line === undefined) return;
    this.tailBuffer.add(line);
    this.write(`${this.prefix}${line}\n`);
  }
}

/**
 * Prefix shown before each output line: `foo` gives `[foo] `; a prefix that
 * already ends in whitespace is used verbatim; none gives no prefix.
 */
export function linePrefix(logPrefix: string | undefined): string {
  if (!logPrefix) return '';
  return /\s$/.test(logPrefix) ? logPrefix : `[${logPrefix}] `;
}

/**
 * A filter for engine output that drops the multi-line legacy-builder
 * deprecation banner docker prints on every build when buildx is absent.
 * Stateful: make one per process.
 */
export function bannerFilter(): (line: string) => string | undefined {
  let inBanner = false;
  return (line) => {
    if (line.startsWith('DEPRECATED: The legacy builder is deprecated')) {
      inBanner = true;
      return undefined;
    }
    if (inBanner) {
      if (line.trim() === '') inBanner = false;
      return undefined;
    }
    return line;
  };
}
