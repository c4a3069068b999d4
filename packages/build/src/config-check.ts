/**
 * The lines of a config fragment that the resolved .config does not contain:
 * `CONFIG_X=value` lines and `# CONFIG_X is not set` lines (an absent symbol counts as
 * not set). Comments and blank lines are ignored.
 */
export function missingConfigLines(fragment: string, dotConfig: string): string[] {
  const have = new Map<string, string>();
  for (const line of dotConfig.split('\n')) {
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) have.set(set[1] as string, set[2] as string);
  }
  const missing: string[] = [];
  for (const raw of fragment.split('\n')) {
    const line = raw.trim();
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) {
      if (have.get(set[1] as string) !== set[2]) missing.push(line);
      continue;
    }
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset && have.has(unset[1] as string)) missing.push(line);
  }
  return missing;
}
