// src/text: small text helpers shared by the builders and the executors (no I/O).

/** Quotes one word for bash: safe words stay as they are, others get single quotes. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_\-+=.,:/@%^]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Words joined into one bash command line, each quoted as needed. */
export function shellJoin(words: string[]): string {
  return words.map(shellQuote).join(' ');
}
