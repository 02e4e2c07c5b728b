// states-zh.test.mjs - every state of the page (states.mjs) in Chinese at 1366, 390 and 320 px: a
// screenshot of each, no sideways scrolling, and axe-core finding no violation (at 1366 px).
import { setup } from './lib.mjs';
import { runStates } from './states.mjs';

setup();
runStates('zh');
