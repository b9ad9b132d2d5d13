// The wait helpers live beside src/'s tests (src/wait.test-helper.ts): one implementation for both trees.
export { waitFor, type WaitOptions } from '../../src/wait.test-helper.js';
