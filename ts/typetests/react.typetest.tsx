// Type-level tests of the React context and hooks.
import { StrictMode, type ReactNode } from 'react';

import {
  RealtimeProvider,
  useModelRealtime,
  useRealtime,
  type ModelChange,
} from '../.generated/specs/tasks/ts/contexts/RealtimeContext.js';
import { useTaskRealtime } from '../.generated/specs/tasks/ts/hooks/useTaskRealtime.js';
import { useUserRealtime } from '../.generated/specs/tasks/ts/hooks/useUserRealtime.js';
import type { Task } from '../.generated/specs/tasks/ts/types.js';

declare const initialTasks: readonly Task[];

export function TaskList(): ReactNode {
  const { items, history, isConnected, error, ping, reset } = useTaskRealtime({
    initial: initialTasks,
    historyLimit: 20,
    onChange: (change) => {
      if (change.kind === 'deleted') {
        const id: string = change.id;
        void id;
      } else {
        const title: string = change.data.title;
        void title;
      }
    },
    onReconnect: (recovered) => {
      if (!recovered) reset([]);
    },
  });
  const first = items[0];
  // @ts-expect-error not a field of Task.
  void first?.titel;
  const last: ModelChange<'Task'> | undefined = history.at(-1);
  void last;
  void ping(1000).then((ms) => ms.toFixed());
  return (
    <ul title={error?.message}>
      {isConnected ? items.map((task) => <li key={task.id}>{task.title}</li>) : null}
    </ul>
  );
}

export function UserCount(): ReactNode {
  const users = useUserRealtime();
  // @ts-expect-error a User has no `title`.
  void users.items[0]?.title;
  // @ts-expect-error the initial rows must be Users.
  useUserRealtime({ initial: initialTasks });
  // @ts-expect-error not a model of the spec.
  useModelRealtime('Tasks');
  const { subscribe, schemaMatches } = useRealtime();
  // @ts-expect-error the channel is `task`.
  subscribe('tasks');
  return <span>{users.items.length + String(schemaMatches)}</span>;
}

declare function fetchTasks(): Promise<Task[]>;
declare function fetchUsers(): Promise<{ id: string; name: string }[]>;

export function LoadedTasks(): ReactNode {
  const { items, loading, loadError, refresh, history } = useTaskRealtime({ load: fetchTasks });
  // @ts-expect-error `load` must resolve to rows of the hook's model.
  useTaskRealtime({ load: fetchUsers });
  // @ts-expect-error `load` returns a promise, not the rows themselves.
  useTaskRealtime({ load: () => initialTasks });
  const done: Promise<boolean> = refresh();
  const again: Promise<boolean> = refresh(fetchTasks);
  void done;
  void again;
  const busy: boolean = loading;
  const message: string | undefined = loadError?.message;
  // `seq` numbers every change, usable as a React key.
  const keys: number[] = history.map((change) => change.seq);
  void keys;
  return <p title={message}>{busy ? '…' : items.length}</p>;
}

export function App(): ReactNode {
  return (
    <StrictMode>
      <RealtimeProvider url="http://127.0.0.1:3000" options={{ transports: ['websocket'], reconnectionDelayMax: 2000 }}>
        <TaskList />
        <UserCount />
        <LoadedTasks />
      </RealtimeProvider>
    </StrictMode>
  );
}
