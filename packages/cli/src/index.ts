export type { CliIo, CommandFlags, StatusReport } from './commands.js';
export type { ExitCode } from './config.js';
export { EXIT_CODES } from './config.js';
export type { MainOptions } from './main.js';
export { main } from './main.js';
