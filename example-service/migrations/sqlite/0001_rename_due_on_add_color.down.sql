ALTER TABLE `projects` DROP COLUMN `color`;
DROP INDEX IF EXISTS `projects_deadline_idx`;
ALTER TABLE `projects` RENAME COLUMN `deadline` TO `due_on`;
CREATE INDEX IF NOT EXISTS `projects_due_on_idx` ON `projects` (`due_on`);
