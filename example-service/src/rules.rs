//! Business rules of the example, as hooks next to the resources: they run
//! for REST (single and bulk), GraphQL and typed access alike.

use crate::resources::{Project, ProjectCreate, Task, TaskCreate, TaskStatus};
use resourceful::prelude::*;

/// `done` and `status` of a task always agree: setting one sets the other,
/// and a request that sets them against each other is refused.
pub struct TaskRules;

fn disagree() -> ApiError {
    ApiError::field(
        "done",
        "consistency",
        "`done` is true exactly when `status` is \"done\"; send one of them, or both in agreement",
    )
}

impl Hooks<Task> for TaskRules {
    async fn before_create(&self, _: &HookContext, input: &mut TaskCreate) -> ApiResult<()> {
        match (input.done, input.status == TaskStatus::Done) {
            (true, false) => Err(disagree()),
            (_, is_done) => {
                input.done = is_done;
                Ok(())
            }
        }
    }

    async fn before_update(
        &self,
        _: &HookContext,
        current: &Task,
        next: &mut Task,
    ) -> ApiResult<()> {
        let status_changed = next.status != current.status;
        let done_changed = next.done != current.done;
        match (status_changed, done_changed) {
            (true, true) if next.done != (next.status == TaskStatus::Done) => Err(disagree()),
            (true, _) => {
                next.done = next.status == TaskStatus::Done;
                Ok(())
            }
            (false, true) => {
                next.status = if next.done {
                    TaskStatus::Done
                } else {
                    TaskStatus::Todo
                };
                Ok(())
            }
            (false, false) => Ok(()),
        }
    }
}

/// Project keys are stored trimmed and upper-case (`" web "` → `"WEB"`),
/// before the declared pattern is checked.
pub struct ProjectRules;

fn normalise_key(key: &mut String) {
    *key = key.trim().to_uppercase();
}

impl Hooks<Project> for ProjectRules {
    async fn before_create(&self, _: &HookContext, input: &mut ProjectCreate) -> ApiResult<()> {
        normalise_key(&mut input.key);
        Ok(())
    }

    async fn before_update(
        &self,
        _: &HookContext,
        _: &Project,
        next: &mut Project,
    ) -> ApiResult<()> {
        normalise_key(&mut next.key);
        Ok(())
    }
}
