import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
  type ReactNode,
} from 'react';

import { createTask, deleteTask, listTasks, updateTask, type TaskPatch } from './api.js';
import {
  useRealtime,
  type ConnectionStatus,
  type ModelChange,
} from './generated/tasks/contexts/RealtimeContext.js';
import { useTaskRealtime } from './generated/tasks/hooks/useTaskRealtime.js';
import { APP_NAME, FINGERPRINT, type Task } from './generated/tasks/types.js';

/** The spec's `title: text required minLength=1 maxLength=200`. */
const MAX_TITLE = 200;

/** How many changes "Live events" shows. */
const HISTORY = 6;

type Change = ModelChange<'Task'>;

/**
 * The live list: the generated `useTaskRealtime` hook loads the rows from `GET /api/tasks`
 * (once it is subscribed, and again after a reconnection the server could not recover), and
 * applies every `model_created`, `model_updated` and `model_deleted` of `Task` that the server
 * broadcasts, whichever window caused it, also those that arrive while the rows are fetched.
 */
export function App(): ReactNode {
  const [actionError, setActionError] = useState<string | null>(null);
  const [dismissed, setDismissed] = useState<Error | null>(null);

  // The last row seen of each id, to tell a rename from a completion in the activity list.
  const known = useRef(new Map<string, Task>());
  const described = useRef(new WeakMap<Change, string>());
  const onChange = useCallback((change: Change): void => {
    described.current.set(change, describe(change, known.current));
    if (change.kind === 'deleted') {
      known.current.delete(change.id);
    } else {
      known.current.set(change.data.id, change.data);
    }
  }, []);

  const { items, byId, status, history, loading, loadError, refresh } = useTaskRealtime({
    historyLimit: HISTORY,
    onChange,
    load: listTasks,
  });
  const { server, schemaMatches } = useRealtime();

  // The rows as shown (loaded ones too); `onChange` adds what arrives before the next render.
  useEffect(() => {
    known.current = new Map(byId);
  }, [byId]);

  const connected = status === 'connected';
  const run = useCallback(
    async (action: () => Promise<unknown>): Promise<boolean> => {
      try {
        await action();
        setActionError(null);
        if (!connected) {
          // No live events reach this window now: show the write anyway.
          await refresh();
        }
        return true;
      } catch (error) {
        setActionError(messageOf(error));
        return false;
      }
    },
    [connected, refresh],
  );

  const patch = useCallback(
    (id: string, change: TaskPatch) => void run(() => updateTask(id, change)),
    [run],
  );
  const remove = useCallback((id: string) => void run(() => deleteTask(id)), [run]);

  const done = items.filter((task) => task.done).length;
  const error = actionError ?? (loadError !== null && loadError !== dismissed ? messageOf(loadError) : null);

  return (
    <div className="shell">
      <header className="top">
        <div>
          <h1>Tasks</h1>
          <p className="tagline">
            Open this page in two windows: a change in one shows up in the other.
          </p>
        </div>
        <StatusBadge status={status} wasConnected={server !== null} />
      </header>

      {schemaMatches === false && (
        <p role="alert" className="banner warn">
          The server was built from another version of <code>tasks.shep</code> (fingerprint{' '}
          <code>{server?.fingerprint}</code>, this page <code>{FINGERPRINT}</code>): rebuild the
          page.
        </p>
      )}

      <NewTaskForm onAdd={(title) => run(() => createTask(title))} />

      {error !== null && (
        <p role="alert" className="banner error" data-testid="error">
          {error}
          <button type="button" className="link" onClick={() => {
              setActionError(null);
              setDismissed(loadError);
            }}>
            Dismiss
          </button>
        </p>
      )}

      <section className="card" aria-label="Tasks">
        {items.length === 0 ? (
          <p className="empty">{loading ? 'Loading…' : 'Nothing to do. Add a task above.'}</p>
        ) : (
          <ul className="tasks">
            {items.map((task) => (
              <TaskRow key={task.id} task={task} onPatch={patch} onDelete={remove} />
            ))}
          </ul>
        )}
        <footer className="summary" data-testid="summary">
          <span>
            {items.length} {items.length === 1 ? 'task' : 'tasks'}
          </span>
          <span>
            {items.length - done} open · {done} done
          </span>
        </footer>
      </section>

      <Activity history={history} described={described.current} />

      <footer className="foot">
        Socket.IO, app <code>{APP_NAME}</code>, spec <code>{FINGERPRINT}</code>
        {schemaMatches === true && <span className="match"> ✓ same spec as the server</span>}
      </footer>
    </div>
  );
}

function StatusBadge({
  status,
  wasConnected,
}: {
  status: ConnectionStatus;
  wasConnected: boolean;
}): ReactNode {
  const label =
    status === 'connected'
      ? 'Live'
      : status === 'connecting'
        ? wasConnected
          ? 'Reconnecting…'
          : 'Connecting…'
        : 'Offline';
  return (
    <span className="status" data-testid="status" data-status={status} role="status">
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}

function NewTaskForm({ onAdd }: { onAdd: (title: string) => Promise<boolean> }): ReactNode {
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>): Promise<void> => {
    event.preventDefault();
    const trimmed = title.trim();
    if (trimmed === '' || busy) {
      return;
    }
    setBusy(true);
    if (await onAdd(trimmed)) {
      setTitle('');
    }
    setBusy(false);
  };
  return (
    <form className="new" onSubmit={(event) => void submit(event)}>
      <input
        value={title}
        onChange={(event) => setTitle(event.target.value)}
        placeholder="What needs doing?"
        aria-label="New task"
        maxLength={MAX_TITLE}
        data-testid="new-title"
      />
      <button type="submit" disabled={title.trim() === '' || busy} data-testid="add">
        Add
      </button>
    </form>
  );
}

function TaskRow({
  task,
  onPatch,
  onDelete,
}: {
  task: Task;
  onPatch: (id: string, patch: TaskPatch) => void;
  onDelete: (id: string) => void;
}): ReactNode {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(task.title);
  const closing = useRef(false);
  const flash = useFlashOnChange(`${task.done ? 1 : 0}${task.title}`);

  const startEditing = (): void => {
    closing.current = false;
    setDraft(task.title);
    setEditing(true);
  };
  const finish = (commit: boolean): void => {
    if (closing.current) {
      return;
    }
    closing.current = true;
    setEditing(false);
    const title = draft.trim();
    if (commit && title !== '' && title !== task.title) {
      onPatch(task.id, { title });
    }
  };
  const onKey = (event: KeyboardEvent<HTMLInputElement>): void => {
    if (event.key === 'Enter') {
      finish(true);
    } else if (event.key === 'Escape') {
      finish(false);
    }
  };

  return (
    <li
      className={`task${task.done ? ' done' : ''}${flash ? ' flash' : ''}`}
      data-testid="task"
      data-id={task.id}
    >
      <label className="check">
        <input
          type="checkbox"
          checked={task.done}
          onChange={(event) => onPatch(task.id, { done: event.target.checked })}
          aria-label={`Complete “${task.title}”`}
          data-testid="toggle"
        />
        <span className="box" aria-hidden="true" />
      </label>
      {editing ? (
        <input
          className="rename"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          onBlur={() => finish(true)}
          onKeyDown={onKey}
          maxLength={MAX_TITLE}
          aria-label="New title"
          data-testid="rename-input"
          autoFocus
        />
      ) : (
        <span
          className="title"
          onDoubleClick={startEditing}
          title="Double-click to rename"
          data-testid="title"
        >
          {task.title}
        </span>
      )}
      <span className="actions">
        <button
          type="button"
          className="icon"
          onClick={startEditing}
          aria-label={`Rename “${task.title}”`}
          data-testid="rename"
        >
          ✎
        </button>
        <button
          type="button"
          className="icon danger"
          onClick={() => onDelete(task.id)}
          aria-label={`Delete “${task.title}”`}
          data-testid="delete"
        >
          ×
        </button>
      </span>
    </li>
  );
}

/**
 * True for a moment after `value` changes (not on mount): a row glows when its content changes,
 * not when a refetch hands over an equal row.
 */
function useFlashOnChange(value: string): boolean {
  const [flash, setFlash] = useState(false);
  const previous = useRef(value);
  useEffect(() => {
    if (previous.current === value) {
      return undefined;
    }
    previous.current = value;
    setFlash(true);
    const timer = setTimeout(() => setFlash(false), 900);
    return () => clearTimeout(timer);
  }, [value]);
  return flash;
}

function Activity({
  history,
  described,
}: {
  history: readonly Change[];
  described: WeakMap<Change, string>;
}): ReactNode {
  return (
    <section className="activity" aria-label="Live events">
      <h2>Live events</h2>
      {history.length === 0 ? (
        <p className="empty small">
          Nothing yet. Changes from any window appear here as the server broadcasts them.
        </p>
      ) : (
        <ol data-testid="activity">
          {[...history].reverse().map((change) => (
            <li key={change.seq}>
              <time>{new Date(change.receivedAt).toLocaleTimeString()}</time>
              <span className={`kind ${change.kind}`}>{change.kind}</span>
              <span className="what">{described.get(change) ?? change.kind}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** A change in words, from the row as it was before. */
function describe(change: Change, known: ReadonlyMap<string, Task>): string {
  if (change.kind === 'deleted') {
    const before = known.get(change.id);
    return before === undefined ? `task ${change.id}` : `“${before.title}”`;
  }
  const after = change.data;
  const before = known.get(after.id);
  if (change.kind === 'created' || before === undefined) {
    return `“${after.title}”`;
  }
  const parts: string[] = [];
  if (before.title !== after.title) {
    parts.push(`renamed “${before.title}” to “${after.title}”`);
  }
  if (before.done !== after.done) {
    parts.push(`${after.done ? 'completed' : 'reopened'} “${after.title}”`);
  }
  return parts.length > 0 ? parts.join(', ') : `“${after.title}”`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
