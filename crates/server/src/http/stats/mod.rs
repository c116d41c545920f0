//! The real-time map of assets and needs, the dashboard, and open data. Every figure comes
//! from the read model, counts public profiles only, leaves out protected countries and
//! suppresses small cells.

mod dashboard;
pub use dashboard::{Need, right_now};
mod map;
mod opendata;

use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/map", get(map::map_page))
        .route("/dashboard", get(dashboard::dashboard_page))
        .route("/opendata", get(opendata::opendata_page))
        .route(
            "/opendata/capacities-by-country.csv",
            get(opendata::csv_by_country),
        )
        .route(
            "/opendata/capacities-by-region.csv",
            get(opendata::csv_by_region),
        )
        .route("/opendata/events.csv", get(opendata::csv_events))
        .route("/opendata/datapackage.json", get(opendata::datapackage))
        .route("/opendata/profiles.jsonld", get(opendata::profiles_dump))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router.routes(routes!(map::map_stats))
}
