/** The item at `i` of the tests' sequences: a record whose every field depends on i, so a wrong item is caught. */
export function itemAt(i: number): { i: number; label: string; square: number } {
  return { i, label: `item_${i}`, square: i * i };
}
