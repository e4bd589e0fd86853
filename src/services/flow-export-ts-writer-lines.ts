/**
 * The base of the flow exporter's writer: the lines of the workflow function at their indentation,
 * blocks and calls laid out to fit, unique local names, the runtime helpers the code uses, and the
 * problems that refuse the export.
 */
import { INDENT } from './flow-export-ts-code';
import type { HelperName } from './flow-export-ts-runtime';

/** Lines of code at a current depth, with the names, helpers and problems met while writing them. */
export class LineWriter {
  /** Why the flow cannot be exported, by the path of what cannot be (`nodes[3]`, `node x`). */
  readonly problems: Record<string, string> = {};
  /** The runtime helpers the written code calls. */
  readonly helpers = new Set<HelperName>(['newContext']);
  /** Local names taken in the workflow function. */
  protected readonly names = new Set<string>(['ctx', 'input', 'trigger', 'approvals', 'events', 'item', 'index']);
  /** The lines written so far. */
  protected lines: string[] = [];
  /** The indentation level of the next line (1: the workflow function's body). */
  protected depth = 1;

  /** A unique local name. */
  protected name(wanted: string): string {
    let name = wanted;
    for (let i = 2; this.names.has(name); i++) name = `${wanted}${i}`;
    this.names.add(name);
    return name;
  }

  /** One line at the current depth; lines after a newline in `text` carry their own indentation. */
  protected line(text: string): void {
    this.lines.push(INDENT.repeat(this.depth) + text);
  }

  /** `opening`, then `inner` indented one level (the caller writes the closing line). */
  protected block(opening: string, inner: () => void): void {
    this.line(opening);
    this.depth++;
    inner();
    this.depth--;
  }

  /** `head` + arguments + `tail`, on one line when short, else one argument per line. */
  protected call(head: string, args: string[], tail: string): void {
    const one = `${head}${args.join(', ')}${tail}`;
    const inline = args.slice(0, -1).every((a) => !a.includes('\n'));
    if (inline && one.split('\n')[0].length + INDENT.length * this.depth <= 110) {
      this.line(one);
      return;
    }
    this.line(head);
    for (const a of args) this.line(`${INDENT}${a.replace(/\n/g, `\n${INDENT}`)},`);
    this.line(tail);
  }
}
