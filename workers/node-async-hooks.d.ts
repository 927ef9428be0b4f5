// The part of `node:async_hooks` the Workers use (nodejs_compat provides it at run time).
// Declared here because the Workers are type-checked without the Node types.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, callback: () => R): R;
  }
}
