// `npm run clean` (and the first half of `npm run build`): removes dist/, so a renamed or deleted source leaves no
// stale module behind for `npm pack` to ship.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
