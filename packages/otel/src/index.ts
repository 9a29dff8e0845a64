export type { GoToAuthInstrumentationOptions } from './instrument.js';
export {
  INSTRUMENTATION_NAME,
  INSTRUMENTATION_VERSION,
  instrumentGoToAuth,
  METRICS,
  SPAN_NAME,
} from './instrument.js';
