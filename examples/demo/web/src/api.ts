// The demo server's JSON API. Writes answer with the row, but the page does not apply it: the
// server broadcasts every write, and the list shows what the live events say, in this window
// and in every other one alike.
import type { Task } from './generated/tasks/types.js';

/** What can change on a task. */
export interface TaskPatch {
  title?: string;
  done?: boolean;
}

export function listTasks(): Promise<Task[]> {
  return request<Task[]>('GET', '/api/tasks');
}

export function createTask(title: string): Promise<Task> {
  return request<Task>('POST', '/api/tasks', { title });
}

export function updateTask(id: string, patch: TaskPatch): Promise<Task> {
  return request<Task>('PATCH', `/api/tasks/${encodeURIComponent(id)}`, patch);
}

export async function deleteTask(id: string): Promise<void> {
  await request<null>('DELETE', `/api/tasks/${encodeURIComponent(id)}`);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new Error('the server cannot be reached');
  }
  if (response.status === 204) {
    return null as T;
  }
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error(errorText(payload) ?? `the server answered ${response.status}`);
  }
  return payload as T;
}

function errorText(payload: unknown): string | null {
  if (typeof payload === 'object' && payload !== null && 'error' in payload) {
    const { error } = payload;
    return typeof error === 'string' ? error : null;
  }
  return null;
}
