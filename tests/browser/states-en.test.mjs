// states-en.test.mjs - every state of the page (states.mjs) in English at 1366 px: a screenshot of
// each, and axe-core finding no violation.
import { setup } from './lib.mjs';
import { runStates } from './states.mjs';

setup();
runStates('en', 'desk');
