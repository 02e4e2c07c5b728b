// states-en-phones.test.mjs - every state of the page (states.mjs) in English at 390 and 320 px:
// a screenshot of each, and no sideways scrolling.
import { setup } from './lib.mjs';
import { runStates } from './states.mjs';

setup();
runStates('en', 'phones');
