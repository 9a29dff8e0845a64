export { EMULATOR_DEFAULT_SCOPES, EMULATOR_DEFAULT_USER, EMULATOR_DEFAULTS } from './defaults.js';
export { startEmulator } from './emulator.js';
export type {
  EmulatorClient,
  EmulatorClock,
  EmulatorCounters,
  EmulatorFault,
  EmulatorFaultOptions,
  EmulatorOptions,
  EmulatorRateLimit,
  EmulatorRequestLogEntry,
  EmulatorUser,
  GoToEmulator,
} from './types.js';
