import {
  memo,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
  type ReactNode,
} from 'react';

import { listTasks, updateTask, type TaskPatch } from './api.js';
import { shown, useEdits, type PendingCreate, type RowEdit } from './edits.js';
import {
  useRealtime,
  type ConnectionStatus,
  type ModelChange,
  type SyncState,
} from './generated/tasks/contexts/RealtimeContext.js';
import { useTaskRealtime } from './generated/tasks/hooks/useTaskRealtime.js';
import {
  APP_NAME,
  FINGERPRINT,
  RULES,
  TASK_STATES,
  checkTaskTransition,
  type Task,
  type TaskState,
} from './generated/tasks/types.js';
import { VirtualList } from './VirtualList.js';

/** The spec's `maxLength` of `Task.title`, from the generated constraints (the server checks them all). */
const MAX_TITLE = RULES.Task.find((rule) => rule.field === 'title')?.maxLength?.[0];

/** How many changes "Live events" shows. */
const HISTORY = 6;

type Change = ModelChange<'Task'>;

/** A row as shown: the live task with this window's pending write on top. */
interface ShownRow {
  task: Task;
  edit: RowEdit | undefined;
}

/**
 * A row's height before the list has measured it, in pixels: a row of one line of title is
 * exactly this high (`.task`'s `min-height` in styles.css), so measuring it moves nothing.
 */
const ROW_HEIGHT = 56;

const rowKey = ({ task }: ShownRow): string => task.id;

/**
 * The live list: the generated `useTaskRealtime` hook loads the rows from `GET /api/tasks`
 * (once it is subscribed, and again after a reconnection the server could not recover), and
 * applies every `model_created`, `model_updated` and `model_deleted` of `Task` that the server
 * broadcasts, whichever window caused it, also those that arrive while the rows are fetched.
 * The hook applies a frame's changes at once and keeps the objects of unchanged rows, so the
 * memoised rows render only when their task changed, and the list (`VirtualList`) renders only
 * the rows near the screen, so 10,000 tasks cost about what 30 do. This window's own writes show
 * at once and are taken back, with a message on the row, when the server refuses them
 * (`useEdits`).
 */
export function App(): ReactNode {
  const [dismissed, setDismissed] = useState<Error | null>(null);

  // The last row seen of each id, to tell a rename from a completion in the activity list: the
  // rows as rendered, and on top what `onChange` saw since (`undefined`: deleted).
  const rendered = useRef<ReadonlyMap<string, Task>>(new Map());
  const since = useRef(new Map<string, Task | undefined>());
  const described = useRef(new WeakMap<Change, string>());
  const onChange = useCallback((change: Change): void => {
    const lookup = (id: string): Task | undefined =>
      since.current.has(id) ? since.current.get(id) : rendered.current.get(id);
    described.current.set(change, describe(change, lookup));
    if (change.kind === 'deleted') {
      since.current.set(change.id, undefined);
    } else {
      since.current.set(change.data.id, change.data);
    }
  }, []);

  const { items, byId, status, sync, history, loading, loadError } = useTaskRealtime({
    historyLimit: HISTORY,
    onChange,
    load: listTasks,
  });
  const { server, schemaMatches } = useRealtime();

  // The rows as shown (loaded ones too); `onChange` notes what arrives before the next render.
  useEffect(() => {
    rendered.current = byId;
    since.current = new Map();
  }, [byId]);

  const edits = useEdits(byId, sync);
  // The rows as shown: the live rows, this window's pending writes on top (a row without one
  // keeps its object, so its memoised component does not render again).
  const rows = useMemo(() => {
    const out: ShownRow[] = [];
    for (const task of items) {
      const edit = edits.rows.get(task.id);
      const row = shown(task, edit);
      if (row !== null) {
        out.push({ task: row, edit });
      }
    }
    return out;
  }, [items, edits.rows]);

  const { patch, remove, dismiss } = edits;
  const renderRow = useCallback(
    ({ task, edit }: ShownRow): ReactNode => (
      <TaskRow task={task} edit={edit} onPatch={patch} onDelete={remove} onDismiss={dismiss} />
    ),
    [patch, remove, dismiss],
  );
  const pendingCreates = edits.creates.filter((pending) => pending.id === null || !byId.has(pending.id));

  const done = rows.filter(({ task }) => task.done).length;
  // Only a failed load is a banner (a write's trouble shows on its row); the next load clears it.
  const error = loadError !== null && loadError !== dismissed ? messageOf(loadError) : null;

  return (
    <div className="shell">
      <header className="top">
        <div>
          <h1>Tasks</h1>
          <p className="tagline">
            Open this page in two windows: a change in one shows up in the other.
          </p>
        </div>
        <StatusBadge status={status} sync={sync} wasConnected={server !== null} />
      </header>

      {schemaMatches === false && (
        <p role="alert" className="banner warn">
          The server was built from another version of <code>tasks.shep</code> (fingerprint{' '}
          <code>{server?.fingerprint}</code>, this page <code>{FINGERPRINT}</code>): rebuild the
          page.
        </p>
      )}

      <NewTaskForm onAdd={edits.create} />

      {error !== null && (
        <p role="alert" className="banner error" data-testid="error">
          {error}
          <button type="button" className="link" onClick={() => setDismissed(loadError)}>
            Dismiss
          </button>
        </p>
      )}

      <section className="card" aria-label="Tasks">
        {rows.length === 0 && edits.creates.length === 0 ? (
          <p className="empty">{loading ? 'Loading…' : 'Nothing to do. Add a task above.'}</p>
        ) : (
          <>
            <VirtualList
              className="tasks"
              items={rows}
              itemKey={rowKey}
              estimateSize={ROW_HEIGHT}
              renderItem={renderRow}
              data-testid="task-list"
            />
            {pendingCreates.length > 0 && (
              <ul className="tasks">
                {pendingCreates.map((pending) => (
                  <PendingRow key={pending.key} pending={pending} onDismiss={edits.dismiss} />
                ))}
              </ul>
            )}
          </>
        )}
        <footer className="summary" data-testid="summary">
          <span>
            {rows.length} {rows.length === 1 ? 'task' : 'tasks'}
          </span>
          <span>
            {rows.length - done} open · {done} done
          </span>
        </footer>
      </section>

      <Board tasks={items} />

      <Activity history={history} described={described.current} />

      <footer className="foot">
        Socket.IO, app <code>{APP_NAME}</code>, spec <code>{FINGERPRINT}</code>
        {schemaMatches === true && <span className="match"> ✓ same spec as the server</span>}
      </footer>
    </div>
  );
}

/**
 * "Live" only when the rows are the server's as far as the page can tell (`sync`): connected
 * but catching up (a reload, a replay, a lagging link) is "Catching up…".
 */
function StatusBadge({
  status,
  sync,
  wasConnected,
}: {
  status: ConnectionStatus;
  sync: SyncState;
  wasConnected: boolean;
}): ReactNode {
  const label =
    sync === 'live'
      ? 'Live'
      : status === 'connected'
        ? 'Catching up…'
        : status === 'connecting'
          ? wasConnected
            ? 'Reconnecting…'
            : 'Connecting…'
          : 'Offline';
  return (
    <span className="status" data-testid="status" data-status={status} data-sync={sync} role="status">
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}

function NewTaskForm({ onAdd }: { onAdd: (title: string) => void }): ReactNode {
  const [title, setTitle] = useState('');
  const submit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    const trimmed = title.trim();
    if (trimmed === '') {
      return;
    }
    // The new task shows at once (below the list until the server has it).
    onAdd(trimmed);
    setTitle('');
  };
  return (
    <form className="new" onSubmit={submit}>
      <input
        value={title}
        onChange={(event) => setTitle(event.target.value)}
        placeholder="What needs doing?"
        aria-label="New task"
        maxLength={MAX_TITLE}
        data-testid="new-title"
      />
      <button type="submit" disabled={title.trim() === ''} data-testid="add">
        Add
      </button>
    </form>
  );
}

/** What a row says about this window's write to it, if anything. */
function WriteNote({ state, message, onDismiss }: { state: string; message: string | null; onDismiss: () => void }): ReactNode {
  if (state === 'refused') {
    return (
      <span className="note refused" role="alert" data-testid="row-error">
        not saved: {message}
        <button type="button" className="link" onClick={onDismiss} data-testid="row-dismiss">
          Dismiss
        </button>
      </span>
    );
  }
  if (state === 'queued') {
    return (
      <span className="note queued" data-testid="row-unsaved" title={message ?? undefined}>
        not saved yet
      </span>
    );
  }
  return null;
}

/** A task this window is creating, until the live list has it. */
function PendingRow({ pending, onDismiss }: { pending: PendingCreate; onDismiss: (key: string) => void }): ReactNode {
  return (
    <li className={`task pending ${pending.state}`} data-testid="pending-task" data-state={pending.state}>
      <span className="title">{pending.title}</span>
      <WriteNote state={pending.state} message={pending.message} onDismiss={() => onDismiss(pending.key)} />
    </li>
  );
}

/** One task; memoised: it renders again only when its task, its write or a callback changed. */
const TaskRow = memo(function TaskRow({
  task,
  edit,
  onPatch,
  onDelete,
  onDismiss,
}: {
  task: Task;
  edit: RowEdit | undefined;
  onPatch: (id: string, patch: TaskPatch) => void;
  onDelete: (id: string) => void;
  onDismiss: (id: string) => void;
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
    <div
      className={`task${task.done ? ' done' : ''}${flash ? ' flash' : ''}`}
      data-testid="task"
      data-id={task.id}
      data-write={edit?.state}
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
      {edit !== undefined && (
        <WriteNote state={edit.state} message={edit.message} onDismiss={() => onDismiss(task.id)} />
      )}
    </div>
  );
});

/** A state's column heading. */
const STATE_TITLES: { readonly [S in TaskState]: string } = { todo: 'To do', doing: 'Doing', done: 'Done' };

/**
 * A card's height before it is measured, in pixels (one line of title, one of moves: `.card-item`
 * in styles.css), and the space between two cards.
 */
const CARD_HEIGHT = 64;
const CARD_GAP = 6;
/** How tall a column of the board grows before it scrolls by itself. */
const COLUMN_HEIGHT = '28rem';

const cardKey = (task: Task): string => task.id;

/**
 * The lifecycle as a board: one column per state of `states: todo -> doing -> done`, each task
 * in the column of its `status`, as the live events say (a move in any window moves it here).
 * A card offers a move to every other state; the server refuses one the chain does not allow
 * (422, with the spec's message), and the board shows that message and moves nothing: a card
 * moves only when its `model_updated` arrives. Each column is a `VirtualList` that scrolls by
 * itself: only the cards near its view are in the page, however many tasks there are.
 */
function Board({ tasks }: { tasks: readonly Task[] }): ReactNode {
  const [refusal, setRefusal] = useState<string | null>(null);
  const move = useCallback((task: Task, to: TaskState): void => {
    setRefusal(null);
    updateTask(task.id, { status: to }).catch((error: unknown) => setRefusal(messageOf(error)));
  }, []);
  const renderCard = useCallback((task: Task): ReactNode => <BoardCard task={task} onMove={move} />, [move]);
  // The tasks of each state, in one pass; a column whose tasks are the same objects as before
  // keeps its array, so it does not render again.
  const previous = useRef<Map<TaskState, readonly Task[]>>(new Map());
  const columns = useMemo(() => {
    const next = new Map<TaskState, Task[]>(TASK_STATES.map((state) => [state, []]));
    for (const task of tasks) {
      next.get(task.status)?.push(task);
    }
    const out = new Map<TaskState, readonly Task[]>();
    for (const [state, list] of next) {
      const before = previous.current.get(state);
      out.set(state, before !== undefined && sameItems(before, list) ? before : list);
    }
    return out;
  }, [tasks]);
  useEffect(() => {
    previous.current = columns;
  }, [columns]);
  return (
    <section className="board" aria-label="Board" data-testid="board">
      <h2>Board</h2>
      {refusal !== null && (
        <p role="alert" className="banner error" data-testid="board-error">
          {refusal}
          <button type="button" className="link" onClick={() => setRefusal(null)}>
            Dismiss
          </button>
        </p>
      )}
      <div className="columns">
        {TASK_STATES.map((state) => (
          <BoardColumn key={state} state={state} tasks={columns.get(state) ?? []} renderCard={renderCard} />
        ))}
      </div>
    </section>
  );
}

/** Whether two lists hold the same objects in the same order. */
function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/** One column of the board; memoised: it renders again only when its tasks changed. */
const BoardColumn = memo(function BoardColumn({
  state,
  tasks,
  renderCard,
}: {
  state: TaskState;
  tasks: readonly Task[];
  renderCard: (task: Task) => ReactNode;
}): ReactNode {
  return (
    <div className="column" data-testid={`column-${state}`} data-state={state}>
      <h3>
        {STATE_TITLES[state]} <span className="count">{tasks.length}</span>
      </h3>
      <VirtualList
        items={tasks}
        itemKey={cardKey}
        estimateSize={CARD_HEIGHT}
        gap={CARD_GAP}
        maxHeight={COLUMN_HEIGHT}
        renderItem={renderCard}
        aria-label={STATE_TITLES[state]}
      />
    </div>
  );
});

/** One card of the board, with a button per other state (allowed ones look like it). */
const BoardCard = memo(function BoardCard({
  task,
  onMove,
}: {
  task: Task;
  onMove: (task: Task, to: TaskState) => void;
}): ReactNode {
  return (
    <div className="card-item" data-testid="board-card" data-id={task.id} data-title={task.title}>
      <span className="title" title={task.title}>
        {task.title}
      </span>
      <span className="moves">
        {TASK_STATES.filter((to) => to !== task.status).map((to) => (
          <button
            type="button"
            key={to}
            className={checkTaskTransition(task.status, to) === null ? 'move allowed' : 'move'}
            onClick={() => onMove(task, to)}
            data-testid={`move-${to}`}
          >
            → {STATE_TITLES[to]}
          </button>
        ))}
      </span>
    </div>
  );
});

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
            <ActivityItem key={change.seq} change={change} what={described.get(change) ?? change.kind} />
          ))}
        </ol>
      )}
    </section>
  );
}

/**
 * The time of day of a change. One formatter for the page: `toLocaleTimeString` makes a new one
 * per call, which is slow enough to show in a burst's frames.
 */
const TIME_OF_DAY = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** One line of "Live events"; memoised: a line renders once. */
const ActivityItem = memo(function ActivityItem({ change, what }: { change: Change; what: string }): ReactNode {
  return (
    <li>
      <time>{TIME_OF_DAY.format(change.receivedAt)}</time>
      <span className={`kind ${change.kind}`}>{change.kind}</span>
      <span className="what">{what}</span>
    </li>
  );
});

/** A change in words, from the row as it was before. */
function describe(change: Change, known: (id: string) => Task | undefined): string {
  if (change.kind === 'deleted') {
    const before = known(change.id);
    return before === undefined ? `task ${change.id}` : `“${before.title}”`;
  }
  const after = change.data;
  const before = known(after.id);
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
  if (before.status !== after.status) {
    parts.push(`moved “${after.title}” to ${STATE_TITLES[after.status]}`);
  }
  return parts.length > 0 ? parts.join(', ') : `“${after.title}”`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
