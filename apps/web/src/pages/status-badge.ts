import { h } from '../dom.js';

/** A status as a coloured word: the colour repeats the word, it never replaces it. */
export const statusBadge = (status: string) =>
  h('span', { class: `badge status-${status}`, 'data-status': status }, status);
