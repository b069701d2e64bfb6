import { StringDecoder } from 'node:string_decoder';

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

/**
 * Splits a byte stream into lines, writes each complete line at once with a
 * prefix, and keeps the last few lines for error messages.
 */
export class LineWriter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(
    private readonly write: (text: string) => void,
    private readonly prefix = '',
    /** May be shared by the stdout and stderr writers of one process. */
    readonly tailBuffer: TailBuffer = new TailBuffer(),
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.emit(line);
  }

  /** Writes the last unterminated line, if any. */
  flush(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.emit(rest);
  }

  /** The last lines seen (without prefix). */
  tail(): string[] {
    return this.tailBuffer.lines();
  }

  private emit(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
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
