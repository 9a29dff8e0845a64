// `express4` is an npm alias of express@4 for the compatibility test; @types/express (v5)
// describes it well enough for what the test uses.
declare module 'express4' {
  import express from 'express';
  export default express;
}
