/** Test helper: the playbook CLI with no plays (`npx tsx test/support/cli-main.ts -i INV --list-hosts …`), for tests that need a real process (a terminal, no terminal). */
import { main } from '../../src/cli/main.js';

process.exit(await main([], process.argv.slice(2)));
