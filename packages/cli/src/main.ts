import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { main as emulatorMain } from '@goto-auth/emulator/cli';
import { type CliIo, type CommandFlags, statusCommand, tokenCommand } from './commands.js';
import { CliError, type Env, EXIT_CODES, type ExitCode, loadEnv } from './config.js';

const SETTINGS = `Settings (environment variables; a ./.env file is read too, the environment wins):
  GOTO_CLIENT_ID       the application's client id (Consumer Key)              required
  GOTO_USER_ID         the GoTo user the token is for                          required
  GOTO_PASSWORD        that user's password                           required by token
  GOTO_CLIENT_SECRET   the client secret (refresh grants, v2 endpoint)         optional
  GOTO_BASE_URL        GoTo's API origin               default https://api.getgo.com
  REDIS_URL            the token store production uses (or --redis-url)
  GOTO_KEY_PREFIX      its key prefix, as the application's keyPrefix (or --key-prefix)
  GOTO_TOKEN_KEY       its encryption key, as the application's encryptionKey`;

const EXITS = `Exit codes: 0 done, 1 no token from GoTo, 2 usage, 3 missing setting,
4 bad setting, 5 minting refused, 6 store unreachable (nothing minted).`;

const USAGE = {
  main: `Usage: goto-auth <command> [options]

Commands:
  token      print an access token (for curl), from the shared store when configured
  status     show the token's state, expiry, last refresh and last error (no secret)
  emulator   run the GoTo emulator (the goto-emulator command)

Run goto-auth <command> --help for a command's options.

${SETTINGS}

${EXITS}`,
  token: `Usage: goto-auth token [options]

Prints an access token on standard output, and nothing else:
  curl -H "Authorization: Bearer $(goto-auth token)" https://api.getgo.com/admin/rest/v1/me

With a store (REDIS_URL or --redis-url) the token comes from the store the application uses;
a new one is minted, through the store's lock, only when the store has none. The application
then finds it there: nothing is revoked.

Without a store, minting revokes every other token of the application in GoToAssist Corporate
(production's included): goto-auth says so, asks y/N on a terminal, and needs --force otherwise.

Options:
  --redis-url <url>     the token store (default REDIS_URL)
  --key-prefix <p>      the store's key prefix (default GOTO_KEY_PREFIX, else goto-auth:)
  --dotenv <path>       read settings from this file instead of ./.env
  --force               mint without a store even when not on a terminal
  --verbose             log what core does (standard error, no secrets)
  -h, --help            print this help

${SETTINGS}

${EXITS}`,
  status: `Usage: goto-auth status [options]

Shows the token's state (valid, expired, empty), expiry, last refresh and last error, read from
the store (REDIS_URL or --redis-url). Never mints, never prints a secret. Without a store a fresh
process has nothing cached, and status says so.

Options:
  --redis-url <url>     the token store (default REDIS_URL)
  --key-prefix <p>      the store's key prefix (default GOTO_KEY_PREFIX, else goto-auth:)
  --dotenv <path>       read settings from this file instead of ./.env
  --json                print JSON
  -h, --help            print this help

${SETTINGS}

${EXITS}`,
};

const FLAGS = {
  'redis-url': { type: 'string' },
  'key-prefix': { type: 'string' },
  dotenv: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ALLOWED: Record<'token' | 'status', readonly (keyof typeof FLAGS)[]> = {
  token: ['redis-url', 'key-prefix', 'dotenv', 'force', 'verbose', 'help'],
  status: ['redis-url', 'key-prefix', 'dotenv', 'json', 'help'],
};

/** Options of {@link main}, for tests and embedding. */
export interface MainOptions {
  /** Where settings are read. @defaultValue `process.env` */
  env?: Env;
  /** Where `./.env` is looked for. @defaultValue `process.cwd()` */
  cwd?: string;
  /** Where lines go and answers come from. @defaultValue the process's streams */
  io?: CliIo;
}

function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    interactive: process.stdin.isTTY === true,
    ask: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}

/** Pulls `--dotenv <path>` (or `=path`) out of arguments that go to another parser. */
function takeDotenv(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--dotenv') {
      const [, value] = args.splice(i, 2);
      if (value === undefined) throw new CliError('--dotenv needs a path.', EXIT_CODES.USAGE);
      return value;
    }
    if (arg.startsWith('--dotenv=')) {
      args.splice(i, 1);
      return arg.slice('--dotenv='.length);
    }
  }
  return undefined;
}

async function emulator(args: string[], env: Env, io: CliIo): Promise<ExitCode> {
  const run = await emulatorMain(args, env, {
    log: (line) => io.stdout(`${line}\n`),
    error: (line) => io.stderr(`${line}\n`),
  });
  await run.done;
  return run.exitCode as ExitCode;
}

/**
 * Runs `goto-auth` with `argv` (the arguments after the program name) and resolves its exit
 * code, which the caller applies. Never throws for a user's mistake: it prints a message naming
 * the setting (never its value) and resolves one of {@link EXIT_CODES}.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2));
 * ```
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<ExitCode> {
  const io = options.io ?? processIo();
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      io.stdout(`${USAGE.main}\n`);
      return command === undefined ? EXIT_CODES.USAGE : EXIT_CODES.OK;
    }
    if (command === 'emulator') {
      const args = [...rest];
      const dotenv = takeDotenv(args);
      const env = loadEnv(options.env ?? process.env, options.cwd ?? process.cwd(), dotenv);
      return await emulator(args, env, io);
    }
    if (command !== 'token' && command !== 'status') {
      throw new CliError(`Unknown command "${command}".`, EXIT_CODES.USAGE);
    }
    let values: {
      [K in keyof typeof FLAGS]?: (typeof FLAGS)[K]['type'] extends 'string' ? string : boolean;
    };
    try {
      values = parseArgs({ args: rest, options: FLAGS, strict: true }).values;
    } catch (error) {
      throw new CliError(error instanceof Error ? error.message : String(error), EXIT_CODES.USAGE);
    }
    for (const name of Object.keys(values) as (keyof typeof FLAGS)[]) {
      if (!ALLOWED[command].includes(name)) {
        throw new CliError(`goto-auth ${command} has no --${name} option.`, EXIT_CODES.USAGE);
      }
    }
    if (values.help === true) {
      io.stdout(`${USAGE[command]}\n`);
      return EXIT_CODES.OK;
    }
    const env = loadEnv(options.env ?? process.env, options.cwd ?? process.cwd(), values.dotenv);
    const flags: CommandFlags = {
      redisUrl: values['redis-url'],
      keyPrefix: values['key-prefix'],
      force: values.force,
      json: values.json,
      verbose: values.verbose,
    };
    return command === 'token'
      ? await tokenCommand(env, flags, io)
      : await statusCommand(env, flags, io);
  } catch (error) {
    const problem =
      error instanceof CliError
        ? error
        : new CliError(error instanceof Error ? error.message : String(error), EXIT_CODES.FAILED);
    io.stderr(`goto-auth: ${problem.message}\n`);
    if (problem.exitCode === EXIT_CODES.USAGE) {
      io.stderr(
        `Run goto-auth ${command === 'token' || command === 'status' ? `${command} ` : ''}--help for usage.\n`,
      );
    }
    return problem.exitCode;
  }
}
