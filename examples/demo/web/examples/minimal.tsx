// The README's "A new host crate, step by step", step 7, type-checked with the page
// (`npm run typecheck`) but not bundled: the smallest page on the generated provider and hook.
import { createRoot } from 'react-dom/client';
import { RealtimeProvider } from '../src/generated/tasks/contexts/RealtimeContext.js';
import { useTaskRealtime } from '../src/generated/tasks/hooks/useTaskRealtime.js';
import type { Task } from '../src/generated/tasks/types.js';

const listTasks = () => fetch('/api/tasks').then((r) => r.json() as Promise<Task[]>);

function Tasks() {
  // `load` runs once the channel is subscribed, and again after a reconnection the server
  // could not recover; changes that arrive while it runs are applied on top of its rows.
  const { items, status, loading } = useTaskRealtime({ load: listTasks });
  return (
    <>
      <p>{loading ? 'loading' : status}</p>
      <ul>{items.map((task) => <li key={task.id}>{task.title}</li>)}</ul>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <RealtimeProvider>
    <Tasks />
  </RealtimeProvider>,
);
