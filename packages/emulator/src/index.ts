export { EMULATOR_DEFAULTS } from './defaults.js';
export { startEmulator } from './emulator.js';
export type {
  EmulatorClient,
  EmulatorClock,
  EmulatorCounters,
  EmulatorFault,
  EmulatorFaultOptions,
  EmulatorOptions,
  EmulatorRequestLogEntry,
  EmulatorUser,
  GoToEmulator,
} from './types.js';
