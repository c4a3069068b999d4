export { InvalidJournal } from './invalid-journal.js';
export { InvalidRange } from './invalid-range.js';
