//! `POST /tasks/approve`: a leader approves several waiting review tasks at once.

use poem::web::Data;
use poem_openapi::{Enum, Object, OpenApi, payload::Json, types::Example};
use uuid::Uuid;

use super::{
    ApiTags,
    error::{ApiError, Problem, Problems, problem_set},
    security::Caller,
    tasks::TaskView,
};
use crate::{services::batch, state::AppState};

problem_set!(BatchApproveProblems: authenticated, InvalidRequest, ValidationFailed, IdempotencyKeyInUse, IdempotencyKeyReused);

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct BatchApproval {
    pub task_id: Uuid,
    #[oai(validator(max_length = 4000))]
    pub comment: Option<String>,
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct BatchApproveRequest {
    /// Review tasks waiting for me, each with its own optional comment.
    #[oai(validator(min_items = 1, max_items = 50))]
    pub items: Vec<BatchApproval>,
}

impl Example for BatchApproveRequest {
    fn example() -> Self {
        let task = |n: u128| Uuid::from_u128(0x7a5c_0000_0000_7000_8000_0000_0000_0000 + n);
        Self {
            items: vec![
                BatchApproval {
                    task_id: task(1),
                    comment: Some("Đồng ý.".to_owned()),
                },
                BatchApproval {
                    task_id: task(2),
                    comment: None,
                },
            ],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "BatchOutcome", rename_all = "snake_case")]
pub enum BatchOutcome {
    Approved,
    Refused,
}

/// What became of one task of the batch.
#[derive(Debug, Object)]
pub struct BatchResult {
    pub task_id: Uuid,
    pub outcome: BatchOutcome,
    /// The task as it now is, when approved.
    #[oai(skip_serializing_if_is_none)]
    pub task: Option<TaskView>,
    /// Why it was refused, as the single approval would have answered: `not_found`,
    /// `not_your_task`, `not_your_turn`, `task_already_decided` (decided meanwhile, on
    /// another phone perhaps), `not_for_this_task`, `signature_required`.
    #[oai(skip_serializing_if_is_none)]
    pub problem: Option<Problem>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct BatchApproveResponse {
    /// One per task sent, in the order sent.
    pub results: Vec<BatchResult>,
    pub approved: u32,
    pub refused: u32,
}

impl Example for BatchApproveResponse {
    fn example() -> Self {
        let refused = ApiError::new(
            super::error::ErrorCode::TaskAlreadyDecided,
            "this task has already been decided",
        );
        Self {
            results: vec![
                BatchResult {
                    task_id: TaskView::example().id,
                    outcome: BatchOutcome::Approved,
                    task: Some(TaskView::example()),
                    problem: None,
                },
                BatchResult {
                    task_id: Uuid::from_u128(0x7a5c_0000_0000_7000_8000_0000_0000_0002),
                    outcome: BatchOutcome::Refused,
                    task: None,
                    problem: Some(refused.to_problem()),
                },
            ],
            approved: 1,
            refused: 1,
        }
    }
}

pub struct BatchApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Work")]
impl BatchApi {
    /// Approve several tasks
    ///
    /// Each task is decided on its own, as `POST /tasks/{id}/approve` would: those that can be
    /// are approved, the others are refused each with its own problem, and the answer says
    /// which. Send an `Idempotency-Key`: a retry then answers the first results again.
    #[oai(
        path = "/tasks/approve",
        method = "post",
        operation_id = "approveTasks"
    )]
    async fn approve_many(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        body: Json<BatchApproveRequest>,
    ) -> Result<Json<BatchApproveResponse>, Problems<BatchApproveProblems>> {
        let items = body.0.items.into_iter().map(|i| (i.task_id, i.comment));
        let decided = batch::approve_many(&state, caller.0, items.collect()).await?;
        let results: Vec<BatchResult> = decided
            .into_iter()
            .map(|(task_id, decided)| match decided {
                Ok(task) => BatchResult {
                    task_id,
                    outcome: BatchOutcome::Approved,
                    task: Some(task.into()),
                    problem: None,
                },
                Err(e) => BatchResult {
                    task_id,
                    outcome: BatchOutcome::Refused,
                    task: None,
                    problem: Some(ApiError::from(e).to_problem()),
                },
            })
            .collect();
        let count = |o| {
            let n = results.iter().filter(|r| r.outcome == o).count();
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        Ok(Json(BatchApproveResponse {
            approved: count(BatchOutcome::Approved),
            refused: count(BatchOutcome::Refused),
            results,
        }))
    }
}
