/** Tab completion for the shell: command names first, then the current command's `--options`. */
import type { CommandRegistry } from './command.js';
import { scanPartial } from './tokenizer.js';

/** node:readline's completer result: candidates, and the text of the line they replace. */
export type Completion = [string[], string];

export function complete(registry: CommandRegistry, line: string): Completion {
  const { commands, partial } = scanPartial(line);
  const words = commands[commands.length - 1] ?? [];
  // the words before the one being typed
  const done = partial ? words.slice(0, -1) : words;
  const typed = partial?.value ?? '';
  const replaced = partial?.raw ?? '';
  const hits = candidates(registry, done, typed).filter((c) => c.startsWith(typed));
  hits.sort();
  // a single match gets its trailing blank, like readline's
  return [hits.length === 1 ? [`${hits[0]} `] : hits, replaced];
}

function candidates(registry: CommandRegistry, done: string[], typed: string): string[] {
  const [name, ...args] = done;
  // aliases are left out, as virsh leaves them out
  if (name === undefined) return registry.commands().map((c) => c.name);
  const command = registry.find(name);
  if (!command || (typed !== '' && !typed.startsWith('-'))) return [];
  const options = command.options ?? [];
  const last = args[args.length - 1];
  const pending =
    last?.startsWith('--') && !last.includes('=') ? options.find((o) => `--${o.name}` === last) : undefined;
  // the word after `--opt` is that option's value, not another option
  if (pending && pending.type !== 'bool') return [];
  const given = new Set(args.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]));
  return options.filter((o) => o.variadic || !given.has(o.name)).map((o) => `--${o.name}`);
}
