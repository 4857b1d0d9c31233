/** "1 follow-up", "1,000 follow-ups": a count with its noun, for reply texts (no more "follow-up(s)"). */
export function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
