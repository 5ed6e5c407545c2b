/**
 * A faithful port of libstdc++'s `std::sort` (introsort: median-of-three quicksort down to runs
 * of 16, heapsort past the depth limit, then one insertion-sort pass).
 *
 * Why not Array.prototype.sort: bpftrace sorts map entries with `std::sort`, which is not stable.
 * For more than 16 entries with equal values, the order it prints depends on exactly how
 * introsort moves elements. Porting the algorithm step for step gives the same permutation for
 * the same input order (the order the map was iterated in), so ties print as bpftrace prints them.
 *
 * `less(a, b)` must be a strict weak ordering, as for `std::sort`. Sorts in place.
 */
export function stdSort<T>(a: T[], less: (x: T, y: T) => boolean): T[] {
  const n = a.length;
  if (n > 1) {
    introsortLoop(a, 0, n, Math.floor(Math.log2(n)) * 2, less);
    finalInsertionSort(a, 0, n, less);
  }
  return a;
}

/**
 * libstdc++'s `std::stable_sort` gives the one stable order, which Array.prototype.sort (stable
 * since ES2019) also gives; this wrapper only adapts the `less` comparator.
 */
export function stableSort<T>(a: T[], less: (x: T, y: T) => boolean): T[] {
  return a.sort((x, y) => (less(x, y) ? -1 : less(y, x) ? 1 : 0));
}

const THRESHOLD = 16;

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

function introsortLoop<T>(a: T[], first: number, last: number, depth: number, less: (x: T, y: T) => boolean): void {
  while (last - first > THRESHOLD) {
    if (depth === 0) {
      heapSort(a, first, last, less);
      return;
    }
    depth--;
    const cut = unguardedPartitionPivot(a, first, last, less);
    introsortLoop(a, cut, last, depth, less);
    last = cut;
  }
}

function unguardedPartitionPivot<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): number {
  const mid = first + Math.floor((last - first) / 2);
  moveMedianToFirst(a, first, first + 1, mid, last - 1, less);
  return unguardedPartition(a, first + 1, last, first, less);
}

function moveMedianToFirst<T>(arr: T[], result: number, a: number, b: number, c: number, less: (x: T, y: T) => boolean): void {
  if (less(arr[a]!, arr[b]!)) {
    if (less(arr[b]!, arr[c]!)) swap(arr, result, b);
    else if (less(arr[a]!, arr[c]!)) swap(arr, result, c);
    else swap(arr, result, a);
  } else if (less(arr[a]!, arr[c]!)) swap(arr, result, a);
  else if (less(arr[b]!, arr[c]!)) swap(arr, result, c);
  else swap(arr, result, b);
}

function unguardedPartition<T>(a: T[], first: number, last: number, pivot: number, less: (x: T, y: T) => boolean): number {
  for (;;) {
    while (less(a[first]!, a[pivot]!)) first++;
    last--;
    while (less(a[pivot]!, a[last]!)) last--;
    if (!(first < last)) return first;
    swap(a, first, last);
    first++;
  }
}

function finalInsertionSort<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): void {
  if (last - first > THRESHOLD) {
    insertionSort(a, first, first + THRESHOLD, less);
    for (let i = first + THRESHOLD; i < last; i++) unguardedLinearInsert(a, i, less);
  } else {
    insertionSort(a, first, last, less);
  }
}

function insertionSort<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): void {
  if (first === last) return;
  for (let i = first + 1; i < last; i++) {
    if (less(a[i]!, a[first]!)) {
      const val = a[i]!;
      for (let j = i; j > first; j--) a[j] = a[j - 1]!;
      a[first] = val;
    } else {
      unguardedLinearInsert(a, i, less);
    }
  }
}

function unguardedLinearInsert<T>(a: T[], last: number, less: (x: T, y: T) => boolean): void {
  const val = a[last]!;
  let next = last - 1;
  while (less(val, a[next]!)) {
    a[last] = a[next]!;
    last = next;
    next--;
  }
  a[last] = val;
}

// Heapsort over [first, last): std::__partial_sort(first, last, last) = make_heap + sort_heap.
function heapSort<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): void {
  const len = last - first;
  if (len >= 2) {
    let parent = Math.floor((len - 2) / 2);
    for (;;) {
      adjustHeap(a, first, parent, len, a[first + parent]!, less);
      if (parent === 0) break;
      parent--;
    }
  }
  while (last - first > 1) {
    last--;
    const value = a[last]!;
    a[last] = a[first]!;
    adjustHeap(a, first, 0, last - first, value, less);
  }
}

function adjustHeap<T>(a: T[], first: number, hole: number, len: number, value: T, less: (x: T, y: T) => boolean): void {
  const top = hole;
  let child = hole;
  while (child < Math.floor((len - 1) / 2)) {
    child = 2 * (child + 1);
    if (less(a[first + child]!, a[first + child - 1]!)) child--;
    a[first + hole] = a[first + child]!;
    hole = child;
  }
  if ((len & 1) === 0 && child === Math.floor((len - 2) / 2)) {
    child = 2 * (child + 1);
    a[first + hole] = a[first + child - 1]!;
    hole = child - 1;
  }
  // __push_heap
  let parent = Math.trunc((hole - 1) / 2);
  while (hole > top && less(a[first + parent]!, value)) {
    a[first + hole] = a[first + parent]!;
    hole = parent;
    parent = Math.trunc((hole - 1) / 2);
  }
  a[first + hole] = value;
}
