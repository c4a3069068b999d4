/**
 * XML 1.0 escaping for text a bisect did not choose: commit subjects, oracle output, error
 * messages. A subject is whatever its author typed, so it may hold markup, "]]>", or control
 * characters that XML 1.0 cannot carry even as character references; a CI system that fails
 * to parse the file shows nothing at all, so those are replaced by a visible "\xNN".
 */

/** The code points XML 1.0 allows (its `Char` production), tab, newline and CR included. */
function allowed(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

function clean(text: string): string {
  let out = '';
  // for...of walks code points, so a valid surrogate pair stays one character and a lone
  // surrogate (from a truncated string) shows up alone and is replaced.
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (allowed(cp)) out += ch;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\uFFFD';
    else out += `\\x${cp.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Element content. CR is written as a reference because parsers turn a raw CR into LF. */
export function xmlText(text: string): string {
  return clean(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;');
}

/**
 * A double-quoted attribute value. Tab, LF and CR are references because attribute-value
 * normalization would turn them into spaces and a multi-line message would lose its lines.
 */
export function xmlAttr(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}
