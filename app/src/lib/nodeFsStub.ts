/**
 * Browser stand-in for `node:fs/promises` (aliased in app/vite.config.ts). The client reaches offchain/inputs/
 * fetch.ts, which reads `file:` inputs with Node's `readFile`, only through a helper that formats fetch errors; the
 * browser never reads a file. Without the alias the Vite dev server refuses the import outright.
 */
export async function readFile(path: string): Promise<never> {
  throw new Error(`${path}: a browser cannot read local files (file: inputs are for a worker on the same machine)`);
}
