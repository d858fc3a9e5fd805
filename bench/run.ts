/**
 * `npm run bench -- NAME [args]`: runs bench/NAME.ts, which prints a table and writes
 * bench/results/NAME.json. With no name, lists what there is.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.js') && !['run.js', 'report.js'].includes(f) && !f.startsWith('_'))
  .map((f) => f.replace(/\.js$/, ''));

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- NAME [args]\navailable: ${available.join(', ')}\n`);
  process.exit(name ? 2 : 0);
}
const mod = (await import(pathToFileURL(`${here}/${name}.js`).href)) as { run(args: string[]): Promise<void> };
await mod.run(args);
