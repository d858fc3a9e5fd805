// Lets a child process run this repository's TypeScript sources directly (`node --import
// ./test/etcd/ts-loader.mjs file.ts`): `.js` specifiers that name a `.ts` source resolve to it, and
// `.ts` files are transpiled with the project's own TypeScript. For tests that must kill -9 a
// process running our code; nothing is type-checked here (tsc does that).
import { register } from 'node:module';

register(new URL('./ts-loader-hooks.mjs', import.meta.url));
