//! HTTP: one module per area, each with its `router()`, merged here under the shared layers.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod api_schema;
pub mod app_state;
pub mod assets;
pub mod capacities;
pub mod capacity_picker;
pub mod choices;
pub mod cohorts;
pub mod connections;
pub mod context;
pub mod email;
pub mod events;
pub mod extract;
pub mod health;
pub mod matches;
pub mod metrics;
pub mod moderation;
pub mod notifications;
pub mod organizations;
pub mod page;
pub mod pages;
pub mod posts;
pub mod preferences;
pub mod profiles;
pub mod programmes;
pub mod saved;
pub mod search;
pub mod stats;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::AppState;
use crate::error::AppError;

/// Scripts, styles and everything else come from this site only; no framing, no inline script.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router();
    let openapi_json = openapi
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    let mut app = Router::new()
        .merge(pages::router())
        .merge(accounts::router())
        .merge(preferences::router())
        .merge(capacities::router())
        .merge(profiles::router())
        .merge(organizations::router())
        .merge(posts::router())
        .merge(connections::router())
        .merge(notifications::router())
        .merge(moderation::router())
        .merge(saved::router())
        .merge(email::router())
        .merge(events::router())
        .merge(programmes::router())
        .merge(cohorts::router())
        .merge(admin::router())
        .merge(search::router())
        .merge(matches::router())
        .merge(stats::router())
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            get(
                move || async move { ([(header::CONTENT_TYPE, "application/json")], openapi_json) },
            ),
        )
        .route("/static/{file}", get(assets::serve));
    // Route and latency figures tell an attacker what is slow: public only when asked for.
    if state.config.metrics_public {
        app = app.route("/metrics", get(metrics::render));
    }
    with_layers(app.fallback(|| async { AppError::NotFound }), state)
}

/// Puts routes under the layers every response goes through (public so that tests can put
/// routes of their own under them).
pub fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    routes
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            context::forgery_guard,
        ))
        // Inside the request context, so that a panic is answered like any internal error: a
        // problem document or page in the caller's language.
        .layer(CatchPanicLayer::custom(answer_panic))
        .layer(middleware::from_fn_with_state(state.clone(), context::middleware))
        .layer(middleware::from_fn(metrics::track))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &Request| {
                            let id = req
                                .headers()
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("-");
                            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    security_headers,
                ))
                .layer(CompressionLayer::new())
                // Inside compression, which would otherwise have encoded the bodies it replaces.
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    context::explain_errors,
                ))
                .layer(TimeoutLayer::with_status_code(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    state.config.request_timeout,
                )),
        )
        .with_state(state)
}

fn answer_panic(panic: Box<dyn std::any::Any + Send>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    AppError::Internal(anyhow::anyhow!("a request handler panicked: {message}")).into_response()
}

/// The metrics page alone, for a separate (private) listener.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::render))
        .with_state(state)
}

async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    // Behind https, browsers are told never to try plain http (where cookies could be stolen).
    if state.config.secure_cookies() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    let set = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    response
}

/// Serves until `shutdown` resolves, lets requests in flight finish, then closes the database.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let janitor = tokio::spawn(janitor(state.clone(), stop_rx.clone()));
    let mut postman = tokio::spawn(postman(state.clone(), stop_rx.clone()));
    let metrics_server = match state.config.metrics_listen {
        Some(address) => {
            let listener = TcpListener::bind(address).await?;
            let app = metrics_router(state.clone());
            let mut stop = stop_rx.clone();
            let header_read_timeout = state.config.header_read_timeout;
            Some(tokio::spawn(async move {
                serve_connections(listener, app, header_read_timeout, async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
            }))
        }
        None => None,
    };
    let app = router(state.clone());
    serve_connections(listener, app, state.config.header_read_timeout, shutdown).await;
    let _ = stop_tx.send(true);
    janitor.abort();
    // A message being sent is let finish, so that it is marked sent and not sent again; a
    // batch that takes longer is left, its claims running out for the next start to retry.
    if tokio::time::timeout(Duration::from_secs(15), &mut postman)
        .await
        .is_err()
    {
        postman.abort();
        tracing::warn!("stopped while e-mail was still being sent");
    }
    if let Some(server) = metrics_server {
        server.await?;
    }
    state.db.close().await;
    tracing::info!("stopped; database closed");
    Ok(())
}

/// Answers connections until `shutdown` resolves, then lets each finish what it is answering.
/// Served through hyper directly because `axum::serve` has no timeouts: a client that never
/// finishes its request headers, or keeps an idle connection open, would hold it forever.
/// `header_read_timeout` bounds both, as hyper starts it whenever it waits for a request.
async fn serve_connections(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req.map(axum::body::Body::new)
        });
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// How long change-log entries are kept: an instance that stops following for longer (a
/// paused process) rebuilds its model when it resumes.
const CHANGE_LOG_KEPT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Housekeeping: every 300 ms, follow the change log (writes made by other instances or by an
/// import); every ten minutes, drop expired sessions and recovered rate limits, let
/// suggestion counts fade and prune the change log.
/// Sends the e-mail queue every few seconds, apart from the janitor, so that a slow SMTP
/// server never holds up following the change log.
async fn postman(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    if state.mailer.is_none() {
        return;
    }
    let mut interval = tokio::time::interval(Duration::from_secs(3));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        if let Err(e) = crate::mail::deliver_due(&state).await {
            tracing::warn!(error = %e, "could not send the e-mail queue");
        }
    }
}

async fn janitor(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(Duration::from_millis(300));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks = 0u64;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        ticks += 1;
        state.exposure.fold_in();
        if let Err(e) = crate::read_model::sync(&state).await {
            tracing::warn!(error = %e, "could not follow the change log");
        }
        if ticks.is_multiple_of(200) {
            if let Err(e) = crate::exchange::sweep(&state).await {
                tracing::warn!(error = %e, "could not remind or expire waiting requests");
            }
            if let Err(e) = crate::mail::queue_digests(&state).await {
                tracing::warn!(error = %e, "could not queue the weekly digests");
            }
            match crate::db::moderation::lift_expired(&state.db, state.clock.unix()).await {
                Ok(0) => {}
                Ok(_) => {
                    if let Err(e) = crate::read_model::sync(&state).await {
                        tracing::warn!(error = %e, "could not follow the change log");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not end suspensions that ran out"),
            }
        }
        if !ticks.is_multiple_of(2000) {
            continue;
        }
        state.limits.forget_recovered();
        state.exposure.decay();
        if let Err(e) = crate::db::accounts::delete_expired(&state.db).await {
            tracing::warn!(error = %e, "could not remove expired sessions");
        }
        let kept_since = crate::db::now() - CHANGE_LOG_KEPT.as_secs() as i64;
        if let Err(e) = crate::db::catalog::prune_changes(&state.db, kept_since).await {
            tracing::warn!(error = %e, "could not prune the change log");
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
