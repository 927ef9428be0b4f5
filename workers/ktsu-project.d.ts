// The project bundle written by `ktsu build` (see shared/bundle.ts), aliased as
// `ktsu-project` in each wrangler config and in the local stack's builds.
declare module "ktsu-project" {
  export const project: import("../shared/bundle.ts").ProjectBundle;
  export const validators: Record<string, import("../shared/bundle.ts").Validator>;
}
