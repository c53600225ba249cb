// The teams server's JSON API, as one user. The identity is a STAND-IN, not authentication:
// every request says who it is with the `X-User` header, and the server believes it.
import type { Task, Team, User } from './generated/teams/types.js';

export interface Me {
  user: User;
  team: Team;
}

export interface TaskPatch {
  title?: string;
  done?: boolean;
  /** Hands the task over to another team: it leaves this team's lists, live. */
  team?: string;
}

export function listUsers(): Promise<User[]> {
  return request<User[]>(null, 'GET', '/api/users');
}

export function listTeams(): Promise<Team[]> {
  return request<Team[]>(null, 'GET', '/api/teams');
}

/** The calls of one user. */
export function api(user: string) {
  return {
    me: (): Promise<Me> => request<Me>(user, 'GET', '/api/me'),
    listTasks: (): Promise<Task[]> => request<Task[]>(user, 'GET', '/api/tasks'),
    createTask: (title: string): Promise<Task> => request<Task>(user, 'POST', '/api/tasks', { title }),
    updateTask: (id: string, patch: TaskPatch): Promise<Task> =>
      request<Task>(user, 'PATCH', `/api/tasks/${encodeURIComponent(id)}`, patch),
    deleteTask: async (id: string): Promise<void> => {
      await request<null>(user, 'DELETE', `/api/tasks/${encodeURIComponent(id)}`);
    },
  };
}

export type Api = ReturnType<typeof api>;

async function request<T>(user: string | null, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (user !== null) {
    headers['x-user'] = user;
  }
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed: unknown = text === '' ? null : JSON.parse(text);
  if (!response.ok) {
    const message =
      typeof parsed === 'object' && parsed !== null && 'error' in parsed && typeof parsed.error === 'string'
        ? parsed.error
        : `${method} ${path} answered ${response.status}`;
    throw new Error(message);
  }
  return parsed as T;
}
