// Loading a page's data: the result, the error, a reload, and an optional refresh every few seconds.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

export function useData<T>(load: () => Promise<T>, deps: unknown[], refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const run = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => {
        if (mine === generation.current) setState({ data, loading: false });
      },
      (error: unknown) => {
        if (mine === generation.current) setState((s) => ({ ...s, error: error as Error, loading: false }));
      },
    );
    // The caller lists what the loader depends on, as with useEffect.
  }, deps);
  useEffect(() => {
    run();
    if (!refreshMs) return;
    const timer = setInterval(run, refreshMs);
    return () => clearInterval(timer);
  }, [run, refreshMs]);
  return { data: state.data, error: state.error, loading: state.loading, reload: run };
}

type Query = Record<string, string | number | boolean | undefined | null | readonly string[]>;

export interface Paged<T> extends Loaded<T[]> {
  items: T[];
  hasMore: boolean;
  /** Appends the next page. */
  more: () => void;
}

/** A keyset-paged list: the first page for the query, then "Show more" appends the next ones. */
export function usePaged<T>(
  fetchPage: (query: Query) => Promise<{ items: T[]; nextCursor: string | null }>,
  query: Query,
  refreshMs?: number,
): Paged<T> {
  const key = JSON.stringify(query);
  const [extra, setExtra] = useState<{ key: string; items: T[]; next: string | null } | undefined>();
  const first = useData(() => fetchPage(query), [key], refreshMs);
  const added = extra?.key === key ? extra : undefined;
  const next = added ? added.next : (first.data?.nextCursor ?? null);
  const items = [...(first.data?.items ?? []), ...(added?.items ?? [])];
  const more = () => {
    if (!next) return;
    void fetchPage({ ...query, after: next }).then((page) =>
      setExtra({ key, items: [...(added?.items ?? []), ...page.items], next: page.nextCursor }),
    );
  };
  const reload = () => {
    setExtra(undefined);
    first.reload();
  };
  return {
    data: first.data ? items : undefined,
    items,
    error: first.error,
    loading: first.loading,
    reload,
    hasMore: next !== null,
    more,
  };
}
