/**
 * The parts of zod the stack config uses. The config is read on every offline preview, and
 * zod's CommonJS build loads all of zod, with ~60 locale files, in ~40 ms; the project's loader
 * (tools/bin/register.js) bundles a `*.bundle.ts` file with the packages it imports, tree-shaken
 * to these names (~40 kB, a few ms). Under any other loader this is a plain re-export.
 */

export type { core, output, ZodMiniObject, ZodMiniType } from "zod/mini";
export {
  NEVER,
  pipe,
  strictObject,
  string,
  superRefine,
  transform,
} from "zod/mini";
