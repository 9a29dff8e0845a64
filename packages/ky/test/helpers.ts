export {
  authNoFloor as auth,
  emulator,
  grants,
  json,
  type Recorded,
  recorder as server,
} from '@goto-auth/test-support';
