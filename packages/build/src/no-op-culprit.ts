/**
 * Whether the culprit's kernel executes exactly what its parent's does (same .text
 * signature): then the change probably cannot be the regression, and the report must say
 * so, as syzkaller's bisect does. Undefined when either signature is unknown.
 */
export function culpritChangesNothing(
  culprit: { signature?: string } | undefined,
  parent: { signature?: string } | undefined,
): boolean | undefined {
  if (!culprit?.signature || !parent?.signature) return undefined;
  return culprit.signature === parent.signature;
}
