//! E-mail: sending the queue through SMTP (when `--smtp-url` and `--mail-from` are set), in
//! each reader's language, with a one-click unsubscribe link (RFC 8058) in every message.
//! Only people who opted in at a confirmed address get anything but the confirmation itself.

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::AppState;
use crate::db::mail::{self, Job, JobKind};
use crate::db::notifications;
use crate::error::AppError;

/// How long a sender holds a message it is sending before another may try it.
const CLAIM_SECONDS: i64 = 120;
const WEEK: i64 = 7 * 86_400;

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `smtp://host:port` (plain, for a local relay), `smtp://host?tls=required` (STARTTLS)
    /// or `smtps://user:password@host` (TLS), as lettre reads them.
    pub fn new(smtp_url: &str, from: &str) -> anyhow::Result<Mailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| anyhow::anyhow!("--smtp-url {smtp_url:?}: {e}"))?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| anyhow::anyhow!("--mail-from {from:?}: {e}"))?;
        Ok(Mailer { transport, from })
    }

    async fn send(&self, outgoing: &Outgoing, message_id: String) -> Result<(), String> {
        let to: Mailbox = outgoing.to.parse().map_err(|e| format!("address: {e}"))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(outgoing.subject.clone())
            .message_id(Some(message_id))
            .header(ContentType::TEXT_PLAIN);
        if let Some(url) = &outgoing.unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = builder
            .body(outgoing.body.clone())
            .map_err(|e| format!("message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// A message ready to go.
struct Outgoing {
    to: String,
    subject: String,
    body: String,
    unsubscribe: Option<String>,
}

/// Writes a queued message in its reader's language, or says it has nothing left to send (the
/// reader turned e-mail off, or read it all).
async fn render(state: &AppState, job: &Job) -> Result<Result<Outgoing, &'static str>, AppError> {
    let settings = mail::settings(state.db.pool(), job.account_id).await?;
    let lang = settings
        .lang
        .as_deref()
        .and_then(|l| state.i18n.shipped_for(l))
        .unwrap_or("en");
    let t = |key: &str, args: &[&str]| state.i18n.text(lang, key, args);
    let base = &state.config.base_url;
    // The header's address takes the one-click POST of mail programs; the body's link opens a
    // page with a button, so that a link checker following it unsubscribes nobody.
    let one_click = settings
        .unsubscribe_token
        .as_ref()
        .map(|token| format!("{base}{}?token={token}", crate::http::email::ONE_CLICK));
    let page_link = settings
        .unsubscribe_token
        .as_ref()
        .map(|token| format!("{base}/unsubscribe?token={token}"));
    let footer = |unsubscribe: &Option<String>| {
        let mut text = format!(
            "\n\n-- \n{}\n{base}/account/email",
            t("cxc-mail-footer", &[])
        );
        if let Some(url) = unsubscribe {
            text.push_str(&format!("\n{}: {url}", t("cxc-mail-unsubscribe", &[])));
        }
        text
    };
    match job.kind {
        JobKind::Confirm => {
            let (Some(to), Some(link)) = (&job.to_address, &job.link) else {
                return Ok(Err("nothing to confirm"));
            };
            if settings.address.as_deref() != Some(to.as_str()) {
                return Ok(Err("the address changed"));
            }
            Ok(Ok(Outgoing {
                to: to.clone(),
                subject: t("cxc-mail-confirm-subject", &[]),
                body: format!(
                    "{}\n\n{link}{}",
                    t("cxc-mail-confirm-body", &[]),
                    footer(&None)
                ),
                unsubscribe: None,
            }))
        }
        JobKind::Notification | JobKind::Digest => {
            let Some(to) = settings.address.clone().filter(|_| settings.verified) else {
                return Ok(Err("no confirmed address"));
            };
            let wanted = match job.kind {
                JobKind::Digest => cxc_core::mail::EmailMode::Weekly,
                _ => cxc_core::mail::EmailMode::Each,
            };
            if settings.mode != wanted {
                return Ok(Err("e-mail turned off"));
            }
            let unread = notifications::of_account(&state.db, job.account_id, true, 200).await?;
            let items: Vec<_> = unread
                .iter()
                .filter(|n| match job.kind {
                    JobKind::Digest => n.created_at >= job.since.unwrap_or(0),
                    _ => Some(n.id) == job.notification_id,
                })
                .collect();
            if items.is_empty() {
                return Ok(Err("already read"));
            }
            let lines: Vec<String> = items
                .iter()
                .map(|n| {
                    let (text, link) = crate::http::notifications::describe(state, n, lang);
                    format!("{text}\n{base}{link}")
                })
                .collect();
            let subject = match job.kind {
                JobKind::Digest => t("cxc-mail-digest-subject", &[&items.len().to_string()]),
                _ => crate::http::notifications::describe(state, items[0], lang).0,
            };
            Ok(Ok(Outgoing {
                to,
                subject,
                body: format!("{}{}", lines.join("\n\n"), footer(&page_link)),
                unsubscribe: one_click,
            }))
        }
    }
}

/// Sends what is due, each message once: claimed first, marked sent once the SMTP server took
/// it, tried again later when it did not. Returns how many went out.
pub async fn deliver_due(state: &AppState) -> Result<usize, AppError> {
    let Some(mailer) = &state.mailer else {
        return Ok(0);
    };
    let started = state.clock.unix();
    let host = state
        .config
        .base_url
        .split("://")
        .nth(1)
        .and_then(|h| h.split([':', '/']).next())
        .unwrap_or("cxc.invalid")
        .to_owned();
    let mut sent = 0;
    for job in mail::due(state.db.pool(), started, 50).await? {
        // Each claim counts from its own moment, and a batch stops well before its first
        // claims could run out, so that no other sender takes a message this one still holds.
        let now = state.clock.unix();
        if now - started > CLAIM_SECONDS / 2 {
            break;
        }
        if !mail::claim(&state.db, job.id, now, now + CLAIM_SECONDS).await? {
            continue;
        }
        match render(state, &job).await? {
            Err(why) => mail::mark_sent(&state.db, job.id, now, Some(why)).await?,
            Ok(outgoing) => {
                // The same id on every try lets a receiving server drop a second copy, should a
                // crash come between its answer and the queue's update.
                let message_id = format!("<cxc-{}@{host}>", job.id);
                match mailer.send(&outgoing, message_id).await {
                    Ok(()) => {
                        mail::mark_sent(&state.db, job.id, now, None).await?;
                        sent += 1;
                    }
                    Err(error) => {
                        tracing::warn!(job = job.id, %error, "could not send an e-mail; will try again");
                        let next = now + cxc_core::mail::retry_after(job.attempts);
                        mail::mark_failed(&state.db, job.id, next, &error).await?;
                    }
                }
            }
        }
    }
    Ok(sent)
}

/// Queues the weekly digests that are due.
pub async fn queue_digests(state: &AppState) -> Result<usize, AppError> {
    if state.mailer.is_none() {
        return Ok(0);
    }
    mail::queue_digests(&state.db, state.clock.unix(), WEEK).await
}
