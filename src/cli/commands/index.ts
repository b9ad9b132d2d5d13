// Every CLI command module; each exports register(program). One line per command group.
import type { Command } from 'commander';

type Register = (program: Command) => void | Promise<void>;

export const commandModules: Array<() => Promise<{ register: Register }>> = [
  () => import('./plugin.js'),
  () => import('./serve.js'),
  () => import('./diagnose.js'),
];
