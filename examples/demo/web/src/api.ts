// The demo server's JSON API. Writes answer with the row, but the page does not apply it: the
// server broadcasts every write, and the list shows what the live events say, in this window
// and in every other one alike (the page shows its own edits at once, and takes them back when
// the server refuses them).
import type { Task, TaskState } from './generated/tasks/types.js';

/** What can change on a task. */
export interface TaskPatch {
  title?: string;
  done?: boolean;
  /** A move along `states: todo -> doing -> done`; the server refuses any other. */
  status?: TaskState;
}

export function listTasks(): Promise<Task[]> {
  return request<Task[]>('GET', '/api/tasks');
}

/**
 * Creates a task. `idempotencyKey` makes the create safe to send again: a retry with the same
 * key gets the first answer instead of a second task.
 */
export function createTask(title: string, idempotencyKey?: string): Promise<Task> {
  return request<Task>('POST', '/api/tasks', { title }, idempotencyKey);
}

export function updateTask(id: string, patch: TaskPatch): Promise<Task> {
  return request<Task>('PATCH', `/api/tasks/${encodeURIComponent(id)}`, patch);
}

export async function deleteTask(id: string): Promise<void> {
  await request<null>('DELETE', `/api/tasks/${encodeURIComponent(id)}`);
}

/** The request did not reach the server, or its answer did not come back: it may be sent again. */
export class Unreachable extends Error {
  constructor() {
    super('the server cannot be reached');
    this.name = 'Unreachable';
  }
}

/** The server answered with an error (`{ "error": "..." }`): sending it again changes nothing. */
export class Refused extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'Refused';
    this.status = status;
  }
}

async function request<T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (idempotencyKey !== undefined) {
    headers['idempotency-key'] = idempotencyKey;
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
  } catch {
    throw new Unreachable();
  }
  if (response.status === 204) {
    return null as T;
  }
  let payload: unknown;
  try {
    payload = await response.json();
  } catch {
    if (response.ok) {
      // The answer was cut off on its way: whether the write happened is unknown.
      throw new Unreachable();
    }
    payload = null;
  }
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    // A proxy or a server that is restarting: the request may go again later.
    throw new Unreachable();
  }
  if (!response.ok) {
    throw new Refused(response.status, errorText(payload) ?? `the server answered ${response.status}`);
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
