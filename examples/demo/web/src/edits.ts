// The page's own writes, shown before the server confirms them (optimistic), taken back with a
// message on the row when the server refuses them, and kept (marked "not saved yet") and sent
// again when the server could not be reached. A create carries an `Idempotency-Key`, so sending
// it again never makes a second task; a rename or a completion sets a value, and a delete of a
// task already gone is done: both are safe to send again as they are.
import { useCallback, useEffect, useRef, useState } from 'react';

import { createTask, deleteTask, Refused, updateTask, type TaskPatch } from './api.js';
import type { SyncState } from './generated/tasks/contexts/RealtimeContext.js';
import type { Task } from './generated/tasks/types.js';

/**
 * Where a write stands: on its way, waiting for the server to be reachable again, refused (taken
 * back), or answered and waiting for the live list to show it.
 */
export type WriteState = 'saving' | 'queued' | 'refused' | 'saved';

/** The page's pending write to one task: a patch, or a delete (`patch: null`). */
export interface RowEdit {
  readonly id: string;
  readonly patch: TaskPatch | null;
  /** The row as the live list showed it when the edit began: a newer one ends the overlay. */
  readonly base: Task | undefined;
  readonly state: WriteState;
  readonly message: string | null;
}

/** A task the page is creating. */
export interface PendingCreate {
  /** The `Idempotency-Key`: the same on every attempt. */
  readonly key: string;
  readonly title: string;
  readonly state: WriteState;
  readonly message: string | null;
  /** The id the server gave it, once answered. */
  readonly id: string | null;
}

/** How often writes that could not reach the server are tried again while the page is live, in ms. */
const RETRY_MS = 3_000;

export interface Edits {
  /** Pending edits by task id. */
  rows: ReadonlyMap<string, RowEdit>;
  creates: readonly PendingCreate[];
  patch: (id: string, patch: TaskPatch) => void;
  remove: (id: string) => void;
  create: (title: string) => void;
  /** Forgets a refused write (its message). */
  dismiss: (idOrKey: string) => void;
}

/** The page's writes over the live rows `byId`, sent again when `sync` is live. */
export function useEdits(byId: ReadonlyMap<string, Task>, sync: SyncState): Edits {
  const [rows, setRows] = useState<ReadonlyMap<string, RowEdit>>(() => new Map());
  const [creates, setCreates] = useState<readonly PendingCreate[]>([]);
  const live = useRef(byId);
  live.current = byId;
  const current = useRef({ rows, creates });
  current.current = { rows, creates };
  /** The attempt in flight per task id or create key: a later attempt makes an earlier answer moot. */
  const attempts = useRef(new Map<string, number>());
  const lastAttempt = useRef(0);

  const updateRow = useCallback((id: string, change: (edit: RowEdit | undefined) => RowEdit | undefined) => {
    setRows((previous) => {
      const next = new Map(previous);
      const edit = change(previous.get(id));
      if (edit === undefined) {
        next.delete(id);
      } else {
        next.set(id, edit);
      }
      return next;
    });
  }, []);

  const sendRow = useCallback(
    (edit: RowEdit) => {
      lastAttempt.current += 1;
      const attempt = lastAttempt.current;
      attempts.current.set(edit.id, attempt);
      const request =
        edit.patch === null ? deleteTask(edit.id).catch(goneIsDone) : updateTask(edit.id, edit.patch);
      const settle = (state: WriteState, message: string | null): void => {
        if (attempts.current.get(edit.id) !== attempt) {
          return;
        }
        attempts.current.delete(edit.id);
        updateRow(edit.id, (current) => (current === undefined ? undefined : { ...current, state, message }));
      };
      request.then(
        () => settle('saved', null),
        (error: unknown) => {
          if (error instanceof Refused) {
            settle('refused', error.message);
          } else {
            settle('queued', 'not saved yet: the server cannot be reached; it is sent again once the page is live');
          }
        },
      );
    },
    [updateRow],
  );

  const patch = useCallback(
    (id: string, change: TaskPatch) => {
      const previous = current.current.rows.get(id);
      const edit: RowEdit = {
        id,
        patch: { ...(previous?.patch ?? {}), ...change },
        base: previous !== undefined && previous.state !== 'refused' ? previous.base : live.current.get(id),
        state: 'saving',
        message: null,
      };
      updateRow(id, () => edit);
      sendRow(edit);
    },
    [updateRow, sendRow],
  );

  const remove = useCallback(
    (id: string) => {
      const edit: RowEdit = { id, patch: null, base: live.current.get(id), state: 'saving', message: null };
      updateRow(id, () => edit);
      sendRow(edit);
    },
    [updateRow, sendRow],
  );

  const sendCreate = useCallback((pending: PendingCreate) => {
    lastAttempt.current += 1;
    const attempt = lastAttempt.current;
    attempts.current.set(pending.key, attempt);
    const settle = (change: Partial<PendingCreate>): void => {
      if (attempts.current.get(pending.key) !== attempt) {
        return;
      }
      attempts.current.delete(pending.key);
      setCreates((list) => list.map((item) => (item.key === pending.key ? { ...item, ...change } : item)));
    };
    createTask(pending.title, pending.key).then(
      (task) => settle({ state: 'saved', message: null, id: task.id }),
      (error: unknown) => {
        if (error instanceof Refused) {
          settle({ state: 'refused', message: error.message });
        } else {
          settle({ state: 'queued', message: 'not saved yet: the server cannot be reached; it is sent again once the page is live' });
        }
      },
    );
  }, []);

  const create = useCallback(
    (title: string) => {
      const pending: PendingCreate = { key: newKey(), title, state: 'saving', message: null, id: null };
      setCreates((list) => [...list, pending]);
      sendCreate(pending);
    },
    [sendCreate],
  );

  const dismiss = useCallback((idOrKey: string) => {
    setRows((previous) => {
      if (previous.get(idOrKey)?.state !== 'refused') {
        return previous;
      }
      const next = new Map(previous);
      next.delete(idOrKey);
      return next;
    });
    setCreates((list) => list.filter((item) => item.key !== idOrKey || item.state !== 'refused'));
  }, []);

  // A saved write ends once the live list shows the row changed (the broadcast of this write,
  // or a newer one): from then on the row shows the server's truth.
  useEffect(() => {
    setRows((previous) => {
      let next: Map<string, RowEdit> | null = null;
      for (const [id, edit] of previous) {
        if (edit.state === 'saved' && byId.get(id) !== edit.base) {
          next ??= new Map(previous);
          next.delete(id);
        }
      }
      return next ?? previous;
    });
    setCreates((list) => {
      const left = list.filter((item) => !(item.state === 'saved' && item.id !== null && byId.has(item.id)));
      return left.length === list.length ? list : left;
    });
  }, [byId]);

  // Writes the server could not be reached for go again when the page is live, and every few
  // seconds while it stays live (the page's connection can be fine while a request failed).
  const queued = [...rows.values()].some((edit) => edit.state === 'queued') || creates.some((item) => item.state === 'queued');
  useEffect(() => {
    if (sync !== 'live' || !queued) {
      return undefined;
    }
    const resend = (): void => {
      for (const edit of current.current.rows.values()) {
        if (edit.state === 'queued' && !attempts.current.has(edit.id)) {
          sendRow(edit);
        }
      }
      for (const item of current.current.creates) {
        if (item.state === 'queued' && !attempts.current.has(item.key)) {
          sendCreate(item);
        }
      }
    };
    resend();
    const timer = setInterval(resend, RETRY_MS);
    return () => clearInterval(timer);
  }, [sync, queued, sendRow, sendCreate]);

  return { rows, creates, patch, remove, create, dismiss };
}

/** The row as the page shows it: the live row with the page's own pending write on top. */
export function shown(task: Task, edit: RowEdit | undefined): Task | null {
  if (edit === undefined || edit.state === 'refused') {
    return task;
  }
  if (edit.patch === null) {
    return null;
  }
  return { ...task, ...edit.patch };
}

/** A delete that finds the task gone has nothing left to do. */
function goneIsDone(error: unknown): void {
  if (error instanceof Refused && error.status === 404) {
    return;
  }
  throw error;
}

function newKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') {
    return crypto.randomUUID();
  }
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}
