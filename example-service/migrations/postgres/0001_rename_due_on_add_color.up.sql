-- Planned by `migrate plan` from the declarations; review before applying.
-- projects.deadline: declared as renamed from `due_on`, which the table still has
-- projects.color: declared (Option<String>), but the table has no such column
ALTER TABLE "projects" RENAME COLUMN "due_on" TO "deadline";
DROP INDEX IF EXISTS "projects_due_on_idx";
CREATE INDEX IF NOT EXISTS "projects_deadline_idx" ON "projects" ("deadline");
ALTER TABLE "projects" ADD COLUMN "color" TEXT;
