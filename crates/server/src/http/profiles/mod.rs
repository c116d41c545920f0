//! People's profiles: the page, the edit form (which works without JavaScript), the JSON and
//! JSON-LD API, and one's own data: download and deletion.

mod blocks;
mod cache;
mod doc;
mod edit;
mod json_ld;
mod page;
mod personal_data;
mod save;

pub use cache::by_username as stored_profile;
pub use json_ld::person_json_ld;

use axum::routing::{get, post};
use cxc_core::Visibility;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::accounts::Account;
use crate::db::profiles::StoredProfile;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/people/{username}", get(page::profile_page))
        .route(
            "/profile/edit",
            get(edit::edit_page).post(edit::edit_submit),
        )
        .route("/account/export.json", get(personal_data::export_download))
        .route("/account/delete", post(personal_data::delete_submit))
        .route("/people/{username}/block", post(blocks::block_submit))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(doc::get_profile))
        .routes(routes!(doc::get_my_profile, save::put_my_profile))
        .routes(routes!(personal_data::export_mine))
        .routes(routes!(personal_data::delete_me))
        .routes(routes!(blocks::list_blocks))
        .routes(routes!(blocks::block_person, blocks::unblock_person))
}

/// Who may see a profile: everyone (public), signed-in members, or only its owner (hidden);
/// a suspended person's only moderators.
pub fn may_see(profile: &StoredProfile, viewer: Option<&Account>) -> bool {
    if profile.suspended && !viewer.is_some_and(|v| v.moderates()) {
        return false;
    }
    match profile.profile.visibility {
        Visibility::Public => true,
        Visibility::Members => viewer.is_some(),
        Visibility::Hidden => viewer.is_some_and(|v| v.id == profile.account_id || v.is_admin),
    }
}
