// Bundles the page with esbuild: src/main.tsx (and the CSS it imports) into dist/app.js and
// dist/app.css, next to a copy of index.html. `node build.mjs --watch` rebuilds on change.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const watch = process.argv.includes('--watch');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
copyFileSync(join(root, 'index.html'), join(dist, 'index.html'));

const options = {
  absWorkingDir: root,
  entryPoints: { app: 'src/main.tsx' },
  outdir: dist,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  jsx: 'automatic',
  minify: !watch,
  sourcemap: true,
  define: { 'process.env.NODE_ENV': JSON.stringify(watch ? 'development' : 'production') },
  logLevel: 'info',
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
  console.log('watching src/ (Ctrl-C stops); reload the page after a change');
} else {
  await esbuild.build(options);
}
