//! The pages of mentorship programmes, all working without JavaScript: the list, the form
//! that opens one, and a page per programme where people apply and organisers review a
//! round (pinning or ruling out pairs, computing again) and publish it.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxc_core::Region;
use cxc_core::assignment::Mode;
use cxc_core::programme::{ApplicationDraft, ProgrammeDraft};

use super::{ProgrammeDoc, doc, may_open};
use crate::AppState;
use crate::db::accounts::Account;
use crate::db::programmes as stored;
use crate::error::AppError;
use crate::http::choices::{Choices, choices};
use crate::http::context::RequestContext;
use crate::http::extract::{FormFields, Path};
use crate::http::page::{FieldErrors, Page, render};
use crate::programmes::{self, RoundDraft};

/// A programme in the list.
pub struct Listed {
    id: i64,
    name: String,
    phase: &'static str,
    organization: Option<String>,
    opens: String,
    closes: String,
}

#[derive(Template)]
#[template(path = "programmes.html")]
struct ListTemplate {
    page: Page,
    programmes: Vec<Listed>,
    may_open: bool,
}

pub async fn list_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let directory = state.directory();
    let programmes = stored::list(state.db.pool())
        .await?
        .iter()
        .map(|p| Listed {
            id: p.id,
            name: p.programme.name.clone(),
            phase: programmes::phase(&state, p).as_str(),
            organization: p.programme.organization.as_deref().map(|o| {
                directory
                    .organization(o)
                    .map_or(o, |x| x.name(ctx.lang))
                    .to_owned()
            }),
            opens: cxc_core::profile::format_date(p.programme.registration_opens),
            closes: cxc_core::profile::format_date(p.programme.registration_closes),
        })
        .collect();
    let may_open = match &ctx.account {
        Some(a) => may_open(&state, a).await?,
        None => false,
    };
    Ok(render(&ListTemplate {
        page: Page::new(&state, &ctx, "cxc-programmes-title"),
        programmes,
        may_open,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "programme_new.html")]
struct NewTemplate {
    page: Page,
    f: FormFields,
    errors: FieldErrors,
    choices: Choices,
    organizations: Vec<(String, String)>,
    regions: Vec<&'static str>,
    /// Administrators may open a programme without an organization.
    is_admin: bool,
}

async fn new_form(
    state: &AppState,
    ctx: &RequestContext,
    account: &Account,
    f: FormFields,
    errors: &[crate::error::FieldError],
) -> Result<String, AppError> {
    let directory = state.directory();
    let choices = choices(state, &directory, ctx.lang);
    let page = Page::new(state, ctx, "cxc-programme-new-title");
    let mut shown = FieldErrors::default();
    for e in errors {
        shown.add(&page, &e.field, e.key);
    }
    Ok(render(&NewTemplate {
        organizations: crate::http::posts::speaking_for(state, account, &choices).await?,
        choices,
        page,
        f,
        errors: shown,
        regions: Region::ALL.iter().map(|r| r.code()).collect(),
        is_admin: account.is_admin,
    })?
    .0)
}

pub async fn new_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/programmes/new").into_response());
    };
    let today = state.clock.today();
    let f = FormFields(vec![
        (
            "registration_opens".into(),
            cxc_core::profile::format_date(today),
        ),
        (
            "registration_closes".into(),
            cxc_core::profile::format_date(today + time::Duration::days(30)),
        ),
        ("mentor_limit".into(), "3".into()),
    ]);
    Ok(axum::response::Html(new_form(&state, &ctx, account, f, &[]).await?).into_response())
}

/// One question per line.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

pub async fn create_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let draft = ProgrammeDraft {
        name: f.one("name"),
        description: f.one("description"),
        capacities: f.all("capacity"),
        languages: f.all("language"),
        region: f.get("region"),
        registration_opens: f.one("registration_opens"),
        registration_closes: f.one("registration_closes"),
        mentor_questions: lines(&f.one("mentor_questions")),
        mentee_questions: lines(&f.one("mentee_questions")),
        mentor_limit: f.get("mentor_limit").and_then(|n| n.trim().parse().ok()),
        organization: f.get("organization"),
    };
    match programmes::create(&state, account, draft).await {
        Ok(id) => Ok(Redirect::to(&format!("/programmes/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::response::Html(new_form(&state, &ctx, account, f, &errors).await?),
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "programme.html")]
struct ProgrammeTemplate {
    page: Page,
    d: ProgrammeDoc,
    /// The programme's capacities, key and label.
    capacities: Vec<(String, String)>,
    organization_name: Option<String>,
    signed_in: bool,
    /// What the last application form said, and what was wrong with it.
    f: FormFields,
    errors: FieldErrors,
    modes: &'static [Mode],
    /// The organiser's choices as they go back into the round form, one pair per line.
    pinned_text: String,
    forbidden_text: String,
}

impl ProgrammeTemplate {
    /// Whether the form just sent was for `role`: it comes back with what was typed.
    fn sent_as(&self, role: &str) -> bool {
        self.f.get("role").as_deref() == Some(role)
    }

    fn applied_as(&self, role: &str) -> bool {
        self.d
            .my_application
            .as_ref()
            .is_some_and(|a| a.role == role)
    }

    fn opened(&self, role: &str) -> bool {
        self.sent_as(role) || self.applied_as(role)
    }

    fn questions(&self, role: &str) -> &[String] {
        if role == "mentor" {
            &self.d.mentor_questions
        } else {
            &self.d.mentee_questions
        }
    }

    fn answer(&self, role: &str, i: &usize) -> String {
        if self.sent_as(role) {
            return self.f.all("answer").get(*i).cloned().unwrap_or_default();
        }
        match &self.d.my_application {
            Some(a) if a.role == role => a.answers.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn picked(&self, role: &str, capacity: &str) -> bool {
        if self.sent_as(role) {
            return self.f.has("capacity", capacity);
        }
        match &self.d.my_application {
            Some(a) if a.role == role => a.capacities.iter().any(|c| c == capacity),
            _ => false,
        }
    }

    fn slots(&self) -> String {
        if self.sent_as("mentor") {
            return self.f.one("slots");
        }
        match &self.d.my_application {
            Some(a) if a.role == "mentor" => a.slots.to_string(),
            _ => "1".to_owned(),
        }
    }

    /// A capacity's label, for one of the programme's capacities.
    fn capacity_label<'a>(&'a self, key: &'a str) -> &'a str {
        self.capacities
            .iter()
            .find(|(k, _)| k == key)
            .map_or(key, |(_, label)| label.as_str())
    }

    fn mode_selected(&self, mode: &str) -> bool {
        match self.f.get("mode") {
            Some(sent) => sent == mode,
            None => self.d.proposal.as_ref().map_or("best_total", |p| p.mode) == mode,
        }
    }
}

async fn page(
    state: &AppState,
    ctx: &RequestContext,
    id: i64,
    f: FormFields,
    errors: &[crate::error::FieldError],
) -> Result<String, AppError> {
    let p = programmes::load(state, id).await?;
    let d = doc(state, &p, ctx.account.as_ref(), ctx.lang).await?;
    let directory = state.directory();
    let capacities = d
        .capacities
        .iter()
        .map(|key| {
            let label = directory
                .capacity(key)
                .map_or(key.as_str(), |c| c.label(ctx.lang))
                .to_owned();
            (key.clone(), label)
        })
        .collect();
    let organization_name = d
        .organization
        .as_deref()
        .and_then(|o| directory.organization(o))
        .map(|o| o.name(ctx.lang).to_owned());
    let mut page = Page::new(state, ctx, "cxc-programmes-title");
    page.title.clone_from(&d.name);
    let mut shown = FieldErrors::default();
    for e in errors {
        shown.add(&page, &e.field, e.key);
    }
    let text = |list: &[[String; 2]]| {
        list.iter()
            .map(|[r, e]| format!("{r} | {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (pinned_text, forbidden_text) = d
        .proposal
        .as_ref()
        .map_or_else(Default::default, |p| (text(&p.pinned), text(&p.forbidden)));
    Ok(render(&ProgrammeTemplate {
        page,
        capacities,
        organization_name,
        signed_in: ctx.account.is_some(),
        f,
        errors: shown,
        modes: Mode::ALL,
        pinned_text,
        forbidden_text,
        d,
    })?
    .0)
}

pub async fn programme_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    Ok(
        axum::response::Html(page(&state, &ctx, id, FormFields(Vec::new()), &[]).await?)
            .into_response(),
    )
}

pub async fn apply_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let draft = ApplicationDraft {
        role: f.one("role"),
        answers: f.all("answer"),
        capacities: f.all("capacity"),
        slots: f.get("slots").and_then(|n| n.trim().parse().ok()),
    };
    match programmes::apply(&state, account, id, draft).await {
        Ok(_) => Ok(Redirect::to(&format!("/programmes/{id}#application")).into_response()),
        Err(AppError::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::response::Html(page(&state, &ctx, id, f, &errors).await?),
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

pub async fn withdraw_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    programmes::withdraw(&state, account, id).await?;
    Ok(Redirect::to(&format!("/programmes/{id}")).into_response())
}

/// Pairs written one per line as `mentor | mentee`: usernames may hold spaces but never a
/// vertical bar. A line without one is read as two names without spaces.
fn pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let (mentor, mentee) = match line.split_once('|') {
                Some(both) => both,
                None => line.trim().split_once(char::is_whitespace)?,
            };
            let (mentor, mentee) = (mentor.trim(), mentee.trim());
            (!mentor.is_empty() && !mentee.is_empty())
                .then(|| (mentor.to_owned(), mentee.to_owned()))
        })
        .collect()
}

/// The round form: the mode and the pinned and forbidden pairs as text, and a button per
/// proposed pair that pins it or rules it out before computing again.
pub async fn round_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let mut pinned = pairs(&f.one("pinned"));
    let mut forbidden = pairs(&f.one("forbidden"));
    if let Some(pair) = f.get("pin") {
        pinned.extend(pairs(&pair));
    }
    if let Some(pair) = f.get("forbid") {
        let pair = pairs(&pair);
        pinned.retain(|p| !pair.contains(p));
        forbidden.extend(pair);
    }
    let draft = RoundDraft {
        mode: f.one("mode"),
        pinned,
        forbidden,
    };
    match programmes::compute(&state, account, id, draft).await {
        Ok(_) => Ok(Redirect::to(&format!("/programmes/{id}#proposal")).into_response()),
        Err(AppError::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::response::Html(page(&state, &ctx, id, f, &errors).await?),
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

pub async fn close_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    programmes::close(&state, account, id).await?;
    Ok(Redirect::to(&format!("/programmes/{id}#proposal")).into_response())
}

pub async fn publish_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    programmes::publish(&state, account, id).await?;
    Ok(Redirect::to(&format!("/programmes/{id}#proposal")).into_response())
}

#[cfg(test)]
mod tests {
    use super::pairs;

    #[test]
    fn pairs_are_read_with_spaces_in_usernames() {
        let pair = |r: &str, e: &str| (r.to_owned(), e.to_owned());
        assert_eq!(
            pairs("Joris van Dijk | Amara Okonkwo\n  Baraka Chiku \n\n | Nobody\nAlone"),
            [
                pair("Joris van Dijk", "Amara Okonkwo"),
                pair("Baraka", "Chiku")
            ]
        );
    }
}
