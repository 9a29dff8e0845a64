// What each published package needs in the consumer projects. Its code is in
// fixtures/<folder>/: run.ts (run in an ESM and a CommonJS project against the emulator),
// types.ts (type-checked under every module setting) and, for NestJS, app.ts (compiled to
// CommonJS with decorator metadata and booted).
//
// peers: installed beside the package (ranges from its peerDependencies); typings: @types/*
// packages the TypeScript project needs (ranges from the package's or the root's
// devDependencies); web: runtime-agnostic, so its types must not need @types/node;
// nest: fixtures/<folder>/app.ts is a NestJS app.
export const CONSUMERS = {
  '@goto-auth/core': { web: true },
  '@goto-auth/emulator': {},
  '@goto-auth/redis': { peers: ['ioredis'] },
  '@goto-auth/ky': { peers: ['ky'] },
  '@goto-auth/axios': { peers: ['axios'] },
  '@goto-auth/express': { peers: ['express'], typings: ['@types/express'] },
  // The SDK is the application's: installed beside, as a user would.
  '@goto-auth/otel': { peers: ['@opentelemetry/api', '@opentelemetry/sdk-metrics'] },
  '@goto-auth/cli': {},
  // Runs on Workers, Deno and Bun too.
  '@goto-auth/hono': { peers: ['hono'], web: true },
  '@goto-auth/fastify': { peers: ['fastify'] },
  '@goto-auth/nestjs': {
    // @nestjs/terminus is an optional peer, for the ./terminus subpath only (the package's own
    // tests prove that the main entry never loads it).
    peers: ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs', '@nestjs/terminus'],
    nest: true,
  },
};

/** The fixtures folder, and one package's fixture file. */
export const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
export const fixture = (pkg, file) => `${FIXTURES}${pkg.dir}/${file}`;
