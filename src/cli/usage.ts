/**
 * What every `mia` command shares: strict option parsing with -h/--help, the profile option, and
 * the usage error that main() prints with a pointer to --help (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { banner, initBackend } from "../backend";
import { resolveProfile, type Profile } from "../config";

/** Bad usage of a `mia` command: main() prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {}

const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const;

/** The options of every command that runs on a profile's models: --profile, --model, --out, --json. */
export const RUN_OPTIONS = { profile: { type: "string" }, model: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } } as const;
type Options = NonNullable<ParseArgsConfig["options"]>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; strict: true; options: O & typeof HELP_OPTION }>>["values"];

/**
 * A command's options, parsed strictly (an unknown option is a usage error); -h / --help prints
 * the command's help and gives null, so the caller returns.
 */
export function parseCommand<O extends Options>(argv: string[], options: O, help: string): Parsed<O> | null {
  const { values } = parseArgs({ args: argv, strict: true, options: { ...options, ...HELP_OPTION } }) as { values: Record<string, unknown> };
  if (values.help) {
    console.log(help);
    return null;
  }
  return values as Parsed<O>;
}

/** --profile P (else MIA_PROFILE, else cpu); an unknown name is a usage error listing the valid ones. */
export function profileOption(name: string | undefined): Profile {
  try {
    return resolveProfile(name);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Where a command's status lines go: stdout, or stderr when stdout carries --json. */
export function statusLog(json: boolean | undefined): (line: string) => void {
  return (line) => (json ? console.error(line) : console.log(line));
}

/** The start of every command that computes: the backend selected, its banner line logged. */
export async function startBackend(profile: Profile, log: (line: string) => void): Promise<void> {
  log(banner(await initBackend(), profile));
}
