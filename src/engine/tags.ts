/**
 * Ansible's tag selection. `only` is --tags (empty = all), `skip` is
 * --skip-tags. Special tags: `always` runs unless skipped explicitly, `never`
 * runs only when one of the task's tags is asked for; `all`, `tagged` and
 * `untagged` select as in Ansible.
 */
export interface TagSelection {
  only: readonly string[];
  skip: readonly string[];
}

export function isSelected(taskTags: readonly string[], sel: TagSelection): boolean {
  const tags = new Set(taskTags);
  const real = taskTags.filter((t) => t !== 'always' && t !== 'never');
  const skipped =
    sel.skip.some((t) => tags.has(t)) ||
    (sel.skip.includes('tagged') && real.length > 0) ||
    (sel.skip.includes('untagged') && real.length === 0) ||
    (sel.skip.includes('all') && !tags.has('always'));
  if (skipped) return false;
  const only = sel.only.length === 0 ? ['all'] : sel.only;
  if (tags.has('always')) return true;
  if (tags.has('never')) return only.some((t) => t !== 'all' && tags.has(t));
  return only.some(
    (t) => (t === 'all' ? true : t === 'tagged' ? real.length > 0 : t === 'untagged' ? real.length === 0 : tags.has(t)),
  );
}

/** "a,b, c" lists from repeated flags → ["a","b","c"]. */
export function parseTagList(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((t) => t.trim()).filter(Boolean);
}
