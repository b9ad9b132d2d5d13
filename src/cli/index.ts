// `plugway` entry point.
import { main } from './main.js';

const code = await main();
if (code !== 0) process.exitCode = code;
