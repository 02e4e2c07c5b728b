// states-zh-phones.test.mjs - every state of the page (states.mjs) in Chinese at 390 and 320 px:
// a screenshot of each, and no sideways scrolling.
import { setup } from './lib.mjs';
import { runStates } from './states.mjs';

setup();
runStates('zh', 'phones');
