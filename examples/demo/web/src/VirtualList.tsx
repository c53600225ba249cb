// A long list that puts only the rows near the screen in the page (@tanstack/react-virtual): the
// list scrolls as if every row were there, and a list of 10,000 rows costs about what one of 30
// does to render, lay out and update. Rows may differ in height: each is measured once shown.
//
//   <VirtualList items={tasks} itemKey={(task) => task.id} estimateSize={48}
//     renderItem={(task) => <TaskRow task={task} />} aria-label="Tasks" />
//
// By default the window scrolls the list (not a box of its own). With `maxHeight`, the list is a
// box of at most that height that scrolls by itself (a board's column: ten thousand cards in one
// column do not make the page ten thousand cards taller).
import { useVirtualizer, useWindowVirtualizer, type Virtualizer } from '@tanstack/react-virtual';
import {
  useCallback,
  useLayoutEffect,
  useRef,
  useState,
  type CSSProperties,
  type ReactNode,
  type RefObject,
} from 'react';

export interface VirtualListProps<T> {
  /** The rows, in order. */
  items: readonly T[];
  /** A row's stable key (its id): a row keeps its measured height and its state by it. */
  itemKey: (item: T) => string;
  /** A row's height in pixels before it has been measured (the gap not included). */
  estimateSize: number;
  /** Renders one row (a memoised component keeps unchanged rows from rendering again). */
  renderItem: (item: T, index: number) => ReactNode;
  /** How many rows to render beyond each edge of the screen. Default 4. */
  overscan?: number;
  /** Pixels between two rows. Default 0. (A row's own margin would not be measured.) */
  gap?: number;
  /**
   * The list as a box of its own, at most this high (a CSS length: `'24rem'`, `'60vh'`), that
   * scrolls by itself; without it the window scrolls the list.
   */
  maxHeight?: string;
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
export function VirtualList<T>(props: VirtualListProps<T>): ReactNode {
  return props.maxHeight === undefined ? <WindowList {...props} /> : <BoxList {...props} maxHeight={props.maxHeight} />;
}

/** The window scrolls the list. */
function WindowList<T>(props: VirtualListProps<T>): ReactNode {
  const { items, itemKey, estimateSize, overscan = 4, gap = 0 } = props;
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

  const getItemKey = useKeys(items, itemKey);
  const virtualizer = useWindowVirtualizer<HTMLLIElement>({
    count: items.length,
    estimateSize: () => estimateSize,
    getItemKey,
    overscan,
    gap,
    scrollMargin: offset,
  });
  return <Rows {...props} list={list} virtualizer={virtualizer} offset={offset} />;
}

/** The list is a box of its own that scrolls by itself. */
function BoxList<T>(props: VirtualListProps<T> & { maxHeight: string }): ReactNode {
  const { items, itemKey, estimateSize, overscan = 4, gap = 0, maxHeight } = props;
  const box = useRef<HTMLDivElement>(null);
  const getItemKey = useKeys(items, itemKey);
  const virtualizer = useVirtualizer<HTMLDivElement, HTMLLIElement>({
    count: items.length,
    estimateSize: () => estimateSize,
    getItemKey,
    overscan,
    gap,
    getScrollElement: () => box.current,
  });
  return (
    <div ref={box} style={{ maxHeight, overflowY: 'auto', overscrollBehavior: 'contain', contain: 'strict', height: boxHeight(virtualizer, maxHeight) }}>
      <Rows {...props} virtualizer={virtualizer} offset={0} />
    </div>
  );
}

/**
 * The box's height: as tall as its rows up to `maxHeight` (`contain: strict` keeps the rows'
 * layout inside the box, so the box needs a height of its own).
 */
function boxHeight(virtualizer: Virtualizer<HTMLDivElement, HTMLLIElement>, maxHeight: string): string {
  return `min(${virtualizer.getTotalSize()}px, ${maxHeight})`;
}

/** A row's key by its index, for the virtualiser. */
function useKeys<T>(items: readonly T[], itemKey: (item: T) => string): (index: number) => string {
  return useCallback(
    (index: number): string => {
      const item = items[index];
      return item === undefined ? String(index) : itemKey(item);
    },
    [items, itemKey],
  );
}

/** The `<ul>` with the rows near the screen, each placed at its offset. */
function Rows<T, S extends Element | Window>({
  items,
  renderItem,
  className,
  virtualizer,
  offset,
  list,
  'aria-label': label,
  'data-testid': testId,
}: VirtualListProps<T> & {
  virtualizer: Virtualizer<S, HTMLLIElement>;
  offset: number;
  list?: RefObject<HTMLUListElement | null>;
}): ReactNode {
  const style: CSSProperties = { position: 'relative', height: virtualizer.getTotalSize(), margin: 0, padding: 0, listStyle: 'none' };
  return (
    <ul ref={list} className={className} style={style} data-count={items.length} aria-label={label} data-testid={testId}>
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
