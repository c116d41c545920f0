//! The profile edit form, which works without JavaScript.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxc_core::LanguageLevel;
use cxc_core::profile::{Profile, ProfileDraft, format_date};

use super::doc::empty_profile;
use super::save::save_profile;
use crate::AppState;
use crate::db::profiles;
use crate::directory::Directory;
use crate::error::{AppError, FieldError};
use crate::http::capacity_picker::{
    CapacityRow, capacity_rows, capacity_rows_from_pairs, entries_from_rows,
};
use crate::http::choices::{Choices, choices};
use crate::http::context::RequestContext;
use crate::http::page::{FieldErrors, Page, render};
use crate::i18n::I18n;

/// What the edit form shows: the stored profile, or what was just submitted.
#[derive(Default)]
pub struct EditForm {
    pub display_name: String,
    pub pronouns: String,
    pub bio: String,
    pub bio_language: String,
    pub country: String,
    pub timezone: String,
    pub visibility: String,
    pub recommendable: bool,
    pub away_until: String,
    pub max_connections: String,
    pub languages: Vec<(String, String)>,
    pub capacities: Vec<CapacityRow>,
    pub affiliations: Vec<String>,
    pub projects: String,
}

impl EditForm {
    /// The profile as its form shows it; languages by name and code (`Kiswahili (sw)`).
    fn from_profile(p: &Profile, directory: &Directory, i18n: &I18n, lang: &str) -> EditForm {
        let rows = capacity_rows(&p.known, &p.offered, &p.wanted, directory, lang);
        EditForm {
            display_name: p.display_name.clone(),
            pronouns: p.pronouns.clone().unwrap_or_default(),
            bio: p.bio.clone(),
            bio_language: p
                .bio_language
                .as_deref()
                .map(|c| i18n.language_choice(c))
                .unwrap_or_default(),
            country: p.country.clone().unwrap_or_default(),
            timezone: p.timezone.clone().unwrap_or_default(),
            visibility: p.visibility.as_str().to_owned(),
            recommendable: p.recommendable,
            away_until: p.away_until.map(format_date).unwrap_or_default(),
            max_connections: p.max_connections.map(|n| n.to_string()).unwrap_or_default(),
            languages: p
                .languages
                .iter()
                .map(|(c, l)| (i18n.language_choice(c), l.code()))
                .collect(),
            capacities: rows,
            affiliations: p.affiliations.clone(),
            projects: p.projects.join(", "),
        }
    }

    /// Reads the submitted form (repeated fields keep their order).
    fn from_pairs(pairs: &[(String, String)], directory: &Directory, lang: &str) -> EditForm {
        let one = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let all = |name: &str| {
            pairs
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
        };
        let codes = all("lang");
        let levels = all("lang_level");
        let languages = codes
            .into_iter()
            .zip(levels)
            .map(|(c, l)| (c.trim().to_owned(), l))
            .filter(|(c, _)| !c.is_empty())
            .collect();
        let capacities = capacity_rows_from_pairs(pairs, directory, lang);
        EditForm {
            display_name: one("display_name"),
            pronouns: one("pronouns"),
            bio: one("bio"),
            bio_language: one("bio_language"),
            country: one("country"),
            timezone: one("timezone"),
            visibility: one("visibility"),
            recommendable: one("recommendable") == "1",
            away_until: one("away_until"),
            max_connections: one("max_connections"),
            languages,
            capacities,
            affiliations: all("org").into_iter().filter(|o| !o.is_empty()).collect(),
            projects: one("projects"),
        }
    }

    /// The draft to validate, and the errors found while reading the form itself. Languages may
    /// be typed by code or by name; what matches neither goes on as typed, to be refused.
    fn draft(&self, i18n: &I18n) -> (ProfileDraft, Vec<FieldError>) {
        let code = |typed: &str| {
            i18n.language_code_for(typed)
                .unwrap_or_else(|| typed.trim().to_owned())
        };
        let (known, offered, wanted, mut errors) = entries_from_rows(&self.capacities);
        let max_connections = match self.max_connections.trim() {
            "" => None,
            n => match n.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(FieldError {
                        field: "max_connections".into(),
                        key: "cxc-error-invalid-number",
                    });
                    None
                }
            },
        };
        let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let draft = ProfileDraft {
            display_name: self.display_name.clone(),
            pronouns: optional(&self.pronouns),
            bio: self.bio.clone(),
            bio_language: optional(&self.bio_language).map(|l| code(&l)),
            country: optional(&self.country),
            timezone: optional(&self.timezone),
            languages: self
                .languages
                .iter()
                .map(|(c, l)| (code(c), LanguageLevel::parse(l)))
                .collect(),
            known,
            offered,
            wanted,
            affiliations: self.affiliations.clone(),
            projects: self
                .projects
                .split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            visibility: optional(&self.visibility),
            recommendable: self.recommendable,
            away_until: optional(&self.away_until),
            max_connections,
            joined: None,
        };
        (draft, errors)
    }
}

#[derive(Template)]
#[template(path = "profile_edit.html")]
pub(super) struct EditTemplate {
    page: Page,
    form: EditForm,
    errors: FieldErrors,
    choices: Choices,
    saved: bool,
    completeness: u8,
}

pub(super) async fn edit_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/profile/edit").into_response());
    };
    let directory = state.refresh_directory().await?;
    let profile = profiles::load(&state.db, account.id)
        .await?
        .map_or_else(|| empty_profile(account), |s| s.profile);
    Ok(render(&EditTemplate {
        form: EditForm::from_profile(&profile, &directory, &state.i18n, ctx.lang),
        errors: FieldErrors::default(),
        choices: choices(&state, &directory, ctx.lang),
        saved: ctx.path.contains("saved=1"),
        completeness: profile.completeness(),
        page: Page::new(&state, &ctx, "cxc-profile-edit-title"),
    })?
    .into_response())
}

pub(super) async fn edit_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/profile/edit").into_response());
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| AppError::BadRequest("cxc-error-bad-form"))?;
    let directory = state.refresh_directory().await?;
    let form = EditForm::from_pairs(&pairs, &directory, ctx.lang);
    let (draft, form_errors) = form.draft(&state.i18n);
    match save_profile(&state, account, draft, form_errors).await {
        Ok(_) => Ok(Redirect::to("/profile/edit?saved=1").into_response()),
        Err(AppError::Invalid(errors)) => {
            let page = Page::new(&state, &ctx, "cxc-profile-edit-title");
            let mut shown = FieldErrors::default();
            for e in &errors {
                shown.add(&page, &field_group(&e.field), e.key);
            }
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&EditTemplate {
                    choices: choices(&state, &directory, ctx.lang),
                    errors: shown,
                    saved: false,
                    completeness: 0,
                    form,
                    page,
                })?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

/// Errors on list items show beside the list: `languages[2]` → `languages`.
pub(super) fn field_group(field: &str) -> String {
    field.split('[').next().unwrap_or(field).to_owned()
}
