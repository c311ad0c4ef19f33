// Entry point of the `lakeloop` command; the commands live in main.ts so tests can call them.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
