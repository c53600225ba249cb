// A long list that puts only the rows near the screen in the page (@tanstack/react-virtual): the
// page scrolls as if every row were there, and a list of 10,000 rows costs about what one of 30
// does to render, lay out and update. Rows may differ in height: each is measured once shown.
//
//   <VirtualList items={tasks} itemKey={(task) => task.id} estimateSize={48}
//     renderItem={(task) => <TaskRow task={task} />} aria-label="Tasks" />
//
// The window scrolls (not a box of its own), so several lists can stand side by side (a board's
// columns) and each one still scrolls with the page.
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useLayoutEffect, useRef, useState, type ReactNode } from 'react';

export interface VirtualListProps<T> {
  /** The rows, in order. */
  items: readonly T[];
  /** A row's stable key (its id): a row keeps its measured height and its state by it. */
  itemKey: (item: T) => string;
  /** A row's height in pixels before it has been measured. */
  estimateSize: number;
  /** Renders one row (a memoised component keeps unchanged rows from rendering again). */
  renderItem: (item: T, index: number) => ReactNode;
  /** How many rows to render beyond each edge of the screen. Default 4. */
  overscan?: number;
  className?: string;
  'aria-label'?: string;
  'data-testid'?: string;
}

/**
 * A `<ul>` of `items` where only the rows on (or near) the screen are rendered, each in an `<li>`
 * that carries `aria-posinset` and `aria-setsize`, so that assistive technology (and a test) can
 * tell where in the whole list a row is. The `<ul>` has the height of every row, and its
 * `data-count` is the number of rows.
 */
export function VirtualList<T>({
  items,
  itemKey,
  estimateSize,
  renderItem,
  overscan = 4,
  className,
  ...rest
}: VirtualListProps<T>): ReactNode {
  const list = useRef<HTMLUListElement>(null);
  // Where the list starts in the page: the rows' positions are counted from there. Read once
  // mounted, then whenever the page's size changes (a banner above the list, the window
  // resized), in a ResizeObserver, which runs after layout: never a layout forced per render.
  const [offset, setOffset] = useState(0);
  useLayoutEffect(() => {
    const element = list.current;
    if (element === null) {
      return undefined;
    }
    const read = (): void => setOffset(element.getBoundingClientRect().top + window.scrollY);
    read();
    const observer = new ResizeObserver(read);
    observer.observe(document.body);
    return () => observer.disconnect();
  }, []);

  const getItemKey = useCallback(
    (index: number): string => {
      const item = items[index];
      return item === undefined ? String(index) : itemKey(item);
    },
    [items, itemKey],
  );
  const virtualizer = useWindowVirtualizer<HTMLLIElement>({
    count: items.length,
    estimateSize: () => estimateSize,
    getItemKey,
    overscan,
    scrollMargin: offset,
  });

  return (
    <ul
      ref={list}
      className={className}
      style={{ position: 'relative', height: virtualizer.getTotalSize(), margin: 0, padding: 0, listStyle: 'none' }}
      data-count={items.length}
      {...rest}
    >
      {virtualizer.getVirtualItems().map((row) => {
        const item = items[row.index];
        if (item === undefined) {
          return null;
        }
        return (
          <li
            key={row.key}
            ref={virtualizer.measureElement}
            data-index={row.index}
            aria-posinset={row.index + 1}
            aria-setsize={items.length}
            style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${row.start - offset}px)` }}
          >
            {renderItem(item, row.index)}
          </li>
        );
      })}
    </ul>
  );
}
