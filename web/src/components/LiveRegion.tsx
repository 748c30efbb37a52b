// The aria-live region for streamed sentences. Its text lives in a tiny store of
// its own, so an announcement re-renders only this element, not the whole app.
import { useSyncExternalStore } from 'react';

export interface Announcer {
  announce(text: string): void;
  subscribe(fn: () => void): () => void;
  get(): string;
}

export function createAnnouncer(): Announcer {
  let text = '';
  const listeners = new Set<() => void>();
  return {
    announce(t) {
      text = t;
      for (const l of listeners) l();
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    get: () => text,
  };
}

export function LiveRegion({ announcer }: { announcer: Announcer }) {
  const text = useSyncExternalStore(announcer.subscribe, announcer.get);
  return (
    <div className="visually-hidden" aria-live="polite" aria-atomic="true">
      {text}
    </div>
  );
}
