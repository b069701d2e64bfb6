/** Quotes one word for bash: safe words stay as they are, others get single quotes. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_\-+=.,:/@%^]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(words: string[]): string {
  return words.map(shellQuote).join(' ');
}
