//! The context every HTML page shares (language, account, CSRF token, assets), message lookup
//! for templates, and the error page.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use super::context::RequestContext;
use crate::AppState;
use crate::db::accounts::Account;
use crate::error::{AppError, ErrorReport};
use crate::i18n::LanguageGroup;

pub struct Page {
    pub lang: &'static str,
    pub dir: &'static str,
    pub title: String,
    pub account: Option<Account>,
    pub csrf: String,
    pub css_url: String,
    pub js_url: String,
    pub icon_url: String,
    /// The icon sprite; `{{ page.icons_url }}#globe` names one icon.
    pub icons_url: String,
    /// The illustrations, one file: `{{ page.art_url }}#people`.
    pub art_url: String,
    /// The current address without `uselang`, where the language chooser and the theme toggle
    /// come back to.
    pub path: String,
    pub signup_enabled: bool,
    pub oauth_enabled: bool,
    /// Unread notifications, shown in the header.
    pub unread: i64,
    /// `light` or `dark` when the visitor chose one over the system's preference.
    pub theme: Option<&'static str>,
    state: AppState,
}

impl Page {
    pub fn new(state: &AppState, ctx: &RequestContext, title_key: &str) -> Page {
        Page {
            lang: ctx.lang,
            dir: state.i18n.dir(ctx.lang),
            title: state.i18n.text(ctx.lang, title_key, &[]),
            account: ctx.account.clone(),
            csrf: ctx.csrf.clone(),
            css_url: state.assets.url("style.css"),
            js_url: state.assets.url("app.js"),
            icon_url: state.assets.url("icon.svg"),
            icons_url: state.assets.url("icons.svg"),
            art_url: state.assets.url("art.svg"),
            path: without_uselang(&ctx.path),
            signup_enabled: state.config.signup,
            oauth_enabled: state.oauth.is_some(),
            unread: ctx.unread,
            theme: ctx.theme,
            state: state.clone(),
        }
    }

    /// The page language's name in itself, on the language chooser's button.
    pub fn autonym(&self) -> &str {
        self.state.i18n.autonym(self.lang).unwrap_or(self.lang)
    }

    /// What separates the items of a list in the page's language (`, `, Arabic `، `,
    /// Chinese `、`), as MediaWiki's comma-separator.
    pub fn separator(&self) -> String {
        self.t("cxc-comma-separator")
    }

    /// A language as forms show it, by name and code: `Kiswahili (sw)`.
    pub fn language_choice(&self, code: &str) -> String {
        self.state.i18n.language_choice(code)
    }

    /// The interface languages by region, for the language chooser.
    pub fn language_groups(&self) -> &[LanguageGroup] {
        self.state.i18n.language_groups()
    }

    /// The current address as one query value, for links that come back here.
    pub fn return_to(&self) -> String {
        url_component(&self.path)
    }

    /// A message in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.state.i18n.text(self.lang, key, &[])
    }

    /// The message whose key is `prefix` followed by a code (`cxc-method-` + `mentoring`).
    pub fn tp(&self, prefix: &str, code: impl std::fmt::Display) -> String {
        self.t(&format!("{prefix}{code}"))
    }

    /// Whether two strings are equal, for templates comparing values of different types.
    pub fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }

    /// A message with two parameters.
    pub fn t2(&self, key: &str, a: impl std::fmt::Display, b: impl std::fmt::Display) -> String {
        self.state
            .i18n
            .text(self.lang, key, &[&a.to_string(), &b.to_string()])
    }

    /// A country's name in the page's language, from its ISO code.
    pub fn country(&self, code: &str) -> String {
        self.state.reference.country_name(code, self.lang)
    }

    /// A message with one parameter.
    pub fn t1(&self, key: &str, a: impl std::fmt::Display) -> String {
        self.state.i18n.text(self.lang, key, &[&a.to_string()])
    }
}

fn without_uselang(path: &str) -> String {
    let Some((base, query)) = path.split_once('?') else {
        return path.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("uselang="))
        .collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// Text as one percent-encoded URL component (a path segment or a query value).
pub fn url_component(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q.trim_start_matches('=').replace('+', "%20"))
        .unwrap_or_default()
}

/// Field errors of a form, translated, for re-rendering it.
#[derive(Default)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn add(&mut self, page: &Page, field: &str, key: &str) {
        if self.get(field).is_none() {
            self.0.push((field.to_owned(), page.t(key)));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub fn render(template: &impl Template) -> Result<Html<String>, AppError> {
    template
        .render()
        .map(Html)
        .map_err(|e| AppError::Internal(e.into()))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    page: Page,
    message: String,
}

pub fn error_page(state: &AppState, ctx: &RequestContext, report: &ErrorReport) -> Response {
    let title_key = format!("cxc-problem-{}", report.code.replace('_', "-"));
    let template = ErrorTemplate {
        page: Page::new(state, ctx, &title_key),
        message: state.i18n.text(ctx.lang, report.key, &report.args()),
    };
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            report.code.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::without_uselang;

    #[test]
    fn the_return_path_drops_uselang() {
        assert_eq!(without_uselang("/about?uselang=ar"), "/about");
        assert_eq!(without_uselang("/p?q=x&uselang=ar&page=2"), "/p?q=x&page=2");
        assert_eq!(without_uselang("/"), "/");
    }
}
