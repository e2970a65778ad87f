/**
 * Loaded before every mocha run (.mocharc.json): points the inspector's
 * default data folder at a temporary one for the run, so an inspector a test
 * starts without --data-dir or --no-persist never reads or writes the traces
 * of the user running the tests. (`XDG_DATA_HOME` on Linux, `LOCALAPPDATA` on
 * Windows; on macOS the default is under the home folder, which tests keep.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dataHome = mkdtempSync(join(tmpdir(), 'respan-test-data-'));
process.env.XDG_DATA_HOME = dataHome;
process.env.LOCALAPPDATA = dataHome;
process.on('exit', () => rmSync(dataHome, { recursive: true, force: true }));
