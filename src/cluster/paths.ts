// Where a cluster node keeps what the cluster gave it (kept apart so the CLI can name it cheaply).
import { join } from 'node:path';

/** Where deployed plugins new to a node are installed: `<state dir>/plugins` (loaded like any plugins folder). */
export const deployDirOf = (stateDir: string) => join(stateDir, 'plugins');
