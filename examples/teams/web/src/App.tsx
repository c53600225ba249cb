// The page: pick a user (the stand-in identity: `?user=ada`), then see that user's team's
// tasks, live. The provider's connection sends the same identity (`auth: { user }`) and
// subscribes `task` with the filter `{ team }`, which the server allows only for the user's
// own team; the list holds only what that subscription delivers.
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';

import { api, listTeams, listUsers, type Api, type Me } from './api.js';
import { RealtimeProvider, type ModelFilters, type RealtimeClientOptions } from './generated/teams/contexts/RealtimeContext.js';
import { useTaskRealtime } from './generated/teams/hooks/useTaskRealtime.js';
import type { Task, Team, User } from './generated/teams/types.js';

export function App(): ReactNode {
  const user = new URLSearchParams(window.location.search).get('user');
  return user === null || user === '' ? <SignIn /> : <Member user={user} />;
}

/** The stand-in for signing in: a link per seeded user. */
function SignIn(): ReactNode {
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    listUsers().then(setUsers, (e: unknown) => setError(String(e)));
  }, []);
  return (
    <main>
      <h1>Teams</h1>
      <p className="note">
        Pick who you are. This is a <strong>stand-in identity</strong>, not a sign-in: the page sends the
        user&apos;s id in the <code>X-User</code> header and in the realtime handshake, and the server believes it.
      </p>
      {error !== null && <p role="alert">{error}</p>}
      <ul className="users">
        {(users ?? []).map((u) => (
          <li key={u.id}>
            <a href={`?user=${encodeURIComponent(u.id)}`}>
              {u.name} <span className="team">({u.team})</span>
            </a>
          </li>
        ))}
      </ul>
    </main>
  );
}

/** One user's page: who they are, then their team's live list. */
function Member({ user }: { user: string }): ReactNode {
  const calls = useMemo(() => api(user), [user]);
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    calls.me().then(setMe, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [calls]);
  const options = useMemo<RealtimeClientOptions>(
    () => ({ auth: { user }, reconnectionDelay: 500, reconnectionDelayMax: 2_000 }),
    [user],
  );
  if (error !== null) {
    return (
      <main>
        <p role="alert">{error}</p>
        <a href="?">Pick another user</a>
      </main>
    );
  }
  if (me === null) {
    return <main aria-busy="true">Loading…</main>;
  }
  const filters: ModelFilters = { Task: { team: me.team.id } };
  return (
    <main>
      <header>
        <h1 data-testid="team">{me.team.name}</h1>
        <p>
          Signed in as <strong data-testid="user">{me.user.name}</strong> (stand-in identity) ·{' '}
          <a href="?">switch user</a>
        </p>
      </header>
      <RealtimeProvider options={options} filters={filters}>
        <TeamTasks calls={calls} team={me.team} />
      </RealtimeProvider>
    </main>
  );
}

function TeamTasks({ calls, team }: { calls: Api; team: Team }): ReactNode {
  const { items, sync, error } = useTaskRealtime({ load: calls.listTasks });
  const [teams, setTeams] = useState<Team[]>([]);
  const [title, setTitle] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    listTeams().then(setTeams, () => setTeams([]));
  }, []);
  const attempt = (work: Promise<unknown>): void => {
    setProblem(null);
    work.catch((e: unknown) => setProblem(e instanceof Error ? e.message : String(e)));
  };
  const add = (event: FormEvent): void => {
    event.preventDefault();
    const text = title.trim();
    if (text === '') {
      return;
    }
    setTitle('');
    attempt(calls.createTask(text));
  };
  const others = teams.filter((t) => t.id !== team.id);
  return (
    <section>
      <p className="sync" data-testid="sync" data-sync={sync}>
        {sync === 'live' ? 'Live' : sync === 'stale' ? 'Catching up…' : 'Reconnecting…'}
      </p>
      {error !== null && <p role="alert">{error.message}</p>}
      {problem !== null && <p role="alert">{problem}</p>}
      <form onSubmit={add}>
        <input
          data-testid="new-title"
          aria-label="New task"
          placeholder={`A task for ${team.name}`}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
        />
        <button type="submit">Add</button>
      </form>
      <ul data-testid="tasks" className="tasks">
        {items.map((task) => (
          <TaskRow key={task.id} task={task} calls={calls} others={others} attempt={attempt} />
        ))}
      </ul>
    </section>
  );
}

function TaskRow({
  task,
  calls,
  others,
  attempt,
}: {
  task: Task;
  calls: Api;
  others: Team[];
  attempt: (work: Promise<unknown>) => void;
}): ReactNode {
  return (
    <li data-id={task.id} className={task.done ? 'done' : undefined}>
      <label>
        <input
          type="checkbox"
          checked={task.done}
          onChange={() => attempt(calls.updateTask(task.id, { done: !task.done }))}
        />
        <span className="title">{task.title}</span>
      </label>
      {others.map((t) => (
        <button key={t.id} type="button" onClick={() => attempt(calls.updateTask(task.id, { team: t.id }))}>
          Hand to {t.name}
        </button>
      ))}
      <button type="button" aria-label={`Delete ${task.title}`} onClick={() => attempt(calls.deleteTask(task.id))}>
        Delete
      </button>
    </li>
  );
}
