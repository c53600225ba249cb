// The README's "A new host crate, step by step", step 7, type-checked with the page
// (`npm run typecheck`) but not bundled: the smallest page on the generated provider and hook.
import { useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { RealtimeProvider } from '../src/generated/tasks/contexts/RealtimeContext.js';
import { useTaskRealtime } from '../src/generated/tasks/hooks/useTaskRealtime.js';
import type { Task } from '../src/generated/tasks/types.js';

function Tasks() {
  const { items, status, reset } = useTaskRealtime();
  useEffect(() => {
    // The rows so far; the hook applies every change after them. Refetch on (re)connection.
    if (status === 'connected') {
      void fetch('/api/tasks').then((r) => r.json() as Promise<Task[]>).then(reset);
    }
  }, [status, reset]);
  return (
    <>
      <p>{status}</p>
      <ul>{items.map((task) => <li key={task.id}>{task.title}</li>)}</ul>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <RealtimeProvider>
    <Tasks />
  </RealtimeProvider>,
);
