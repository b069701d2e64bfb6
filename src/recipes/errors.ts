/** A recipe that cannot be read: the file, the reason and, where known, the line. */
export class RecipeReadError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${reason}`);
    this.name = 'RecipeReadError';
  }
}

/**
 * An error of one stage of reading (Jinja, YAML): the parser's message and,
 * where known, the line. A reader turns it into a RecipeReadError with
 * `readError`.
 */
export class ParseError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'ParseError';
  }
}

/** `e`, thrown by `stage` (`Jinja`, `YAML`) while reading `file`, as a RecipeReadError with the line where known. */
export function readError(file: string, stage: string, e: unknown): RecipeReadError {
  const pe = e instanceof ParseError ? e : new ParseError(e instanceof Error ? e.message : String(e));
  return new RecipeReadError(file, `${stage}: ${pe.message}`, pe.line);
}

/**
 * True for a RecipeReadError, also one from another copy of this module (the
 * parsers are loaded on first use, possibly after a module registry reset).
 */
export function isRecipeReadError(e: unknown): e is RecipeReadError {
  return (
    e instanceof RecipeReadError || (e instanceof Error && e.name === 'RecipeReadError' && 'reason' in e && 'file' in e)
  );
}

/** Plain-data form of a RecipeReadError (what the parse cache stores). */
export interface RecipeReadErrorData {
  file: string;
  reason: string;
  line?: number;
}

export function toErrorData(e: RecipeReadError): RecipeReadErrorData {
  return e.line === undefined ? { file: e.file, reason: e.reason } : { file: e.file, reason: e.reason, line: e.line };
}

export function fromErrorData(d: RecipeReadErrorData): RecipeReadError {
  return new RecipeReadError(d.file, d.reason, d.line);
}
