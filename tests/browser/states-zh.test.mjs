// states-zh.test.mjs - every state of the page (states.mjs) in Chinese at 1366 px: a screenshot of
// each, and axe-core finding no violation.
import { setup } from './lib.mjs';
import { runStates } from './states.mjs';

setup();
runStates('zh', 'desk');
