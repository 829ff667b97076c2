/**
 * Splits a command line into commands and words the way virsh's tokenizer does:
 * blanks separate words, `;` and newlines separate commands, '...' quotes literally,
 * "..." quotes with backslash escapes, a backslash escapes outside quotes, and a
 * word starting with `#` comments out the rest of the line.
 */
import { UsageError } from './errors.js';

export interface Scan {
  /** Words of each command; the last entry is the command being typed (possibly empty). */
  commands: string[][];
  /** The word the line ends in, when it does not end in a blank: raw text and its value. */
  partial: { raw: string; value: string } | undefined;
}

/** Commands in `text`, empty ones dropped. Throws a UsageError on an unterminated quote or a dangling backslash. */
export function tokenize(text: string): string[][] {
  return scan(text, false).commands.filter((words) => words.length > 0);
}

/** The same scan for completion: never fails, and tells which word is still being typed. */
export function scanPartial(text: string): Scan {
  return scan(text, true);
}

const isBlank = (ch: string | undefined): boolean => ch === ' ' || ch === '\t';

function scan(text: string, lenient: boolean): Scan {
  const commands: string[][] = [[]];
  let partial: Scan['partial'];
  let i = 0;
  for (;;) {
    // a backslash-newline between words is a line continuation, as in virsh
    while (isBlank(text[i]) || (text[i] === '\\' && text[i + 1] === '\n')) i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) break;
    const ch = text[i];
    if (ch === ';' || ch === '\n') {
      commands.push([]);
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const start = i;
    const word = readWord(text, i, lenient);
    i = word.end;
    commands[commands.length - 1]?.push(word.value);
    // only a word that runs to the very end is still being typed
    partial = i >= text.length ? { raw: text.slice(start), value: word.value } : undefined;
  }
  return { commands, partial };
}

function readWord(text: string, start: number, lenient: boolean): { value: string; end: number } {
  let value = '';
  let single = false;
  let double = false;
  let i = start;
  while (i < text.length) {
    const ch = text[i] as string;
    if (!single && !double && (isBlank(ch) || ch === ';' || ch === '\n')) break;
    if (!double && ch === "'") {
      single = !single;
      i++;
      continue;
    }
    if (!single && ch === '"') {
      double = !double;
      i++;
      continue;
    }
    if (!single && ch === '\\') {
      // as in a shell: a backslash escapes outside quotes and inside "...", never inside '...'
      i++;
      if (i >= text.length) {
        if (lenient) break;
        throw new UsageError('dangling \\');
      }
      if (text[i] === '\n') {
        i++;
        continue;
      }
    }
    value += text[i];
    i++;
  }
  if (!lenient && double) throw new UsageError('missing "');
  if (!lenient && single) throw new UsageError("missing '");
  return { value, end: i };
}
