/** Types of bin/bundle.js, for the bench and the tests. */

/** Where the bundles go, under the root: `dist`. */
export const DIST: string;

/** dist/cli.js when built from the files as they are now; undefined otherwise. Never throws. */
export function freshBundle(root?: string): string | undefined;

/** Builds dist/ under `root` (the repository, by default) and writes its manifest last. */
export function buildBundle(
  root?: string,
): Promise<{ readonly files: number; readonly bytes: number; readonly ms: number }>;

/** The esbuild plugin that makes `__dirname` and `__filename` the source file's own. */
export function sourceDirnames(outdir: string): import('esbuild').Plugin;

/** The command's module (main, explainError) from a fresh bundle, with its V8 code caches. */
export function loadBundle(entry: string): {
  main(argv: readonly string[]): Promise<number>;
  explainError(command: string, err: unknown): { code: number; line: string };
};
