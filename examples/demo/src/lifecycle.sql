-- Schema version 4 of a database made by an older demo server: the task's lifecycle state
-- (`states: todo -> doing -> done` in specs/tasks.shep), every existing task starting in
-- `todo`. The capture triggers of version 3 are dropped here; the server re-creates them from
-- the generated capture SQL, with `status` in their rows.
ALTER TABLE task ADD COLUMN status TEXT NOT NULL DEFAULT 'todo'
  CONSTRAINT task_status_states CHECK (status IN ('todo', 'doing', 'done'));
DROP TRIGGER IF EXISTS task_capture_insert;
DROP TRIGGER IF EXISTS task_capture_update;
DROP TRIGGER IF EXISTS task_capture_delete;
