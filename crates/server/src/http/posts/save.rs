//! The one save path of posts, which the API and the forms share.

use cxc_core::board::Listed;
use cxc_core::post::{PostDraft, PostStatus, default_expiry};
use cxc_core::profile::format_date;

use super::manages;
use crate::AppState;
use crate::db::accounts::Account;
use crate::db::posts;
use crate::error::{AppError, FieldError};
use crate::state::Live;

/// The draft that stores a listed post again, for edits that change a few fields.
pub(super) fn draft_of(p: &Listed) -> PostDraft {
    PostDraft {
        kind: p.kind.as_str().to_owned(),
        title: p.title.clone(),
        body: p.body.clone(),
        capacities: p.capacities.clone(),
        languages: p.languages.clone(),
        country: p.country.clone(),
        online: p.online,
        methods: p.methods.iter().map(|m| m.as_str().to_owned()).collect(),
        organization: p.organization.clone(),
        expires_on: Some(format_date(p.expires_on)),
        status: Some(p.status.as_str().to_owned()),
        kept_expiry: Some(p.expires_on),
    }
}

/// What the owner's buttons do to a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Close,
    Reopen,
    InProgress,
    /// Open for another 30 days from today.
    Renew,
}

impl Action {
    pub(super) fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "close" => Action::Close,
            "reopen" => Action::Reopen,
            "in_progress" => Action::InProgress,
            "renew" => Action::Renew,
            _ => return None,
        })
    }

    pub(super) fn apply(self, draft: &mut PostDraft, state: &AppState) {
        let status = match self {
            Action::Close => PostStatus::Closed,
            Action::InProgress => PostStatus::InProgress,
            Action::Reopen | Action::Renew => PostStatus::Open,
        };
        draft.status = Some(status.as_str().to_owned());
        if self == Action::Renew {
            draft.expires_on = Some(format_date(default_expiry(state.clock.today())));
        }
    }
}

/// Validates and stores a post, new (`existing` is `None`) or edited, in one transaction, and
/// lets the board catch up. Nothing is stored when any field is wrong. Speaking for an
/// organization takes managing it (or being an administrator); keeping the one a post
/// already speaks for does not, so a co-manager's edit stays possible.
pub(super) async fn save_post(
    state: &AppState,
    account: &Account,
    existing: Option<&Listed>,
    draft: PostDraft,
    mut errors: Vec<FieldError>,
) -> Result<Listed, AppError> {
    if existing.is_none() && state.read_model().model.slot_of(account.id).is_none() {
        return Err(AppError::Conflict("cxc-error-profile-required"));
    }
    let directory = state.refresh_directory().await?;
    let validated = draft.validate(
        &Live {
            state,
            directory: &directory,
        },
        state.clock.today(),
    );
    let post = match validated {
        Ok(p) if errors.is_empty() => p,
        Ok(_) => return Err(AppError::Invalid(errors)),
        Err(more) => {
            errors.extend(more);
            return Err(AppError::Invalid(errors));
        }
    };
    let unchanged = existing.is_some_and(|e| e.organization == post.organization);
    if let Some(organization) = post
        .organization
        .as_deref()
        .and_then(|o| directory.organization(o))
        && !unchanged
        && !account.is_admin
        && !manages(state, account, organization.id).await?
    {
        return Err(AppError::Forbidden("cxc-error-not-manager"));
    }
    let now = state.clock.unix();
    let mut tx = state.db.begin_write().await?;
    let id = match existing {
        Some(e) => {
            posts::update(&mut tx, e.id, &post, &*directory, now).await?;
            e.id
        }
        None => posts::create(&mut tx, account.id, &post, &*directory, now).await?,
    };
    tx.commit().await?;
    crate::read_model::sync(state).await?;
    state
        .read_model()
        .board
        .get(id)
        .cloned()
        .ok_or(AppError::NotFound)
}
