/**
 * A customer's timeline, virtualised: only the rows in view (plus a few) are in the DOM,
 * so 10,000 events scroll as smoothly as 10.
 */
import { useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';

/** One row: an event, a decision or a response, at a time. */
export interface TimelineItem {
  key: string;
  at: string;
  kind: string;
  summary: string;
  /** Where clicking the row goes (a decision), if anywhere. */
  onOpen?: () => void;
}

const ROW = 30;

/** The virtualised timeline; `height` is the viewport in pixels. */
export function Timeline({ items, height = 420 }: { items: readonly TimelineItem[]; height?: number }) {
  const parent = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({ count: items.length, getScrollElement: () => parent.current, estimateSize: () => ROW, overscan: 12, initialRect: { width: 800, height } });
  return (
    <div ref={parent} className="timeline" style={{ height, overflow: 'auto' }} role="list" aria-label={`Timeline, ${items.length} items`} tabIndex={0}>
      <div style={{ height: v.getTotalSize(), position: 'relative' }}>
        {v.getVirtualItems().map((row) => {
          const it = items[row.index]!;
          return (
            <div key={it.key} role="listitem" className={`row kind-${it.kind.replace(/[^a-z_]/g, '')}`} style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW, transform: `translateY(${row.start}px)` }}>
              <time dateTime={it.at}>{it.at.replace('T', ' ').slice(0, 19)}</time>
              <span className="kind">{it.kind}</span>
              {it.onOpen ? (
                <button type="button" className="linkish" onClick={it.onOpen}>
                  {it.summary}
                </button>
              ) : (
                <span className="summary">{it.summary}</span>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
