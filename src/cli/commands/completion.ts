/**
 * `iamtrim completion bash|zsh|fish`: a completion script built from the command tree itself, so it
 * can never list a flag that does not exist or miss one that does. `iamtrim version` prints the
 * version, as `--version` does.
 */
import { Argument, type Command } from 'commander';
import type { CommandContext } from '../context.js';

interface CommandWords {
  /** `minimize`, `athena setup`. */
  path: string;
  description: string;
  flags: Array<{ long: string; description: string; takesValue: boolean; choices: readonly string[] }>;
  subcommands: string[];
}

/** Every command (and subcommand) with its long flags, in help order. */
export function commandWords(program: Command): CommandWords[] {
  const out: CommandWords[] = [];
  const walk = (command: Command, prefix: string): void => {
    for (const sub of command.commands) {
      const path = `${prefix}${sub.name()}`;
      out.push({
        path,
        description: sub.description(),
        flags: sub.options
          .filter((o) => o.long !== undefined && !o.hidden)
          .map((o) => ({ long: o.long ?? '', description: o.description, takesValue: o.required || o.optional, choices: o.argChoices ?? [] })),
        subcommands: sub.commands.map((c) => c.name()),
      });
      walk(sub, `${path} `);
    }
  };
  walk(program, '');
  return out;
}

function globalFlags(program: Command): string[] {
  return program.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined);
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

export function bashCompletion(program: Command): string {
  const words = commandWords(program);
  const top = words.filter((w) => !w.path.includes(' ')).map((w) => w.path);
  const cases = words
    .map((w) => {
      const values = w.flags
        .filter((f) => f.choices.length > 0)
        .map((f) => `      ${f.long}) COMPREPLY=($(compgen -W ${quote(f.choices.join(' '))} -- "$cur")); return ;;`);
      const choices = values.length > 0 ? `\n    case "$prev" in\n${values.join('\n')}\n    esac` : '';
      return `    ${quote(w.path)})${choices}\n      COMPREPLY=($(compgen -W ${quote([...w.subcommands, ...w.flags.map((f) => f.long), ...globalFlags(program)].join(' '))} -- "$cur")) ;;`;
    })
    .join('\n');
  return `# bash completion for iamtrim: source <(iamtrim completion bash)
_iamtrim() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) if [[ -z "$path" || "$path" == athena ]]; then path="\${path:+$path }\${COMP_WORDS[i]}"; fi ;;
    esac
  done
  case "$path" in
    '')
      COMPREPLY=($(compgen -W ${quote([...top, ...globalFlags(program)].join(' '))} -- "$cur")) ;;
${cases}
  esac
}
complete -o default -F _iamtrim iamtrim
`;
}

/** zsh reads the bash script through bashcompinit, so there is one set of words to keep right. */
export function zshCompletion(program: Command): string {
  return `#compdef iamtrim
# zsh completion for iamtrim: source <(iamtrim completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program).replace(/^# bash completion.*\n/, '')}`;
}

export function fishCompletion(program: Command): string {
  const words = commandWords(program);
  const lines = ['# fish completion for iamtrim: iamtrim completion fish | source', 'complete -c iamtrim -f'];
  for (const w of words.filter((x) => !x.path.includes(' '))) {
    lines.push(`complete -c iamtrim -n __fish_use_subcommand -a ${w.path} -d ${quote(w.description)}`);
  }
  for (const w of words) {
    const parts = w.path.split(' ');
    const condition =
      parts.length === 1 ? `__fish_seen_subcommand_from ${parts[0]}` : `__fish_seen_subcommand_from ${parts[0]}; and __fish_seen_subcommand_from ${parts[1]}`;
    for (const sub of w.subcommands)
      lines.push(`complete -c iamtrim -n ${quote(`${condition}; and not __fish_seen_subcommand_from ${w.subcommands.join(' ')}`)} -a ${sub}`);
    for (const f of w.flags) {
      const value = f.choices.length > 0 ? ` -x -a ${quote(f.choices.join(' '))}` : f.takesValue ? ' -r -F' : '';
      lines.push(`complete -c iamtrim -n ${quote(condition)} -l ${f.long.replace(/^--/, '')}${value} -d ${quote(f.description)}`);
    }
  }
  for (const o of program.options) if (o.long !== undefined) lines.push(`complete -c iamtrim -l ${o.long.replace(/^--/, '')} -d ${quote(o.description)}`);
  return `${lines.join('\n')}\n`;
}

const SHELLS = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion } as const;

/**
 * Registers `completion` and `version`. The completion script needs every command registered, so
 * main loads them all when it runs `completion`.
 */
export function registerCompletion(program: Command, ctx: CommandContext, version: string): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(iamtrim completion bash), or zsh; iamtrim completion fish | source')
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(SHELLS)))
    .action((shell: keyof typeof SHELLS) => {
      ctx.io.out(SHELLS[shell](program));
    });
  program
    .command('version')
    .description('print the version (as --version does)')
    .action(() => {
      ctx.io.out(`${version}\n`);
    });
}
