// Sum of a number taken from each item of a list (the aggregate's one adding helper).

export function sum<T>(list: readonly T[], f: (t: T) => number): number {
  let s = 0;
  for (const x of list) s += f(x);
  return s;
}
