//! Pages, languages, security headers, static assets, health and metrics.

use crate::common::TestApp;

#[tokio::test]
async fn healthz_reports_the_engine_and_version() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], crate::common::engine());
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn healthz_answers_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.state.db.close().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/", "/about", "/no-such-page", "/api/v1/me", "/healthz"] {
        let response = app.get(path).await;
        let h = response.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
    }
}

#[tokio::test]
async fn pages_have_no_inline_script_and_are_compressed() {
    let app = TestApp::spawn().await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("<script src=\"/static/app."));
    assert!(!html.contains("<script>") && !html.contains(" onclick="));
    let raw = reqwest::Client::new()
        .get(app.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn home_about_and_privacy_render_with_the_layout() {
    let app = TestApp::spawn().await;
    for path in ["/", "/about", "/privacy"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("<html lang=\"en\" dir=\"ltr\">"), "{path}");
        assert!(
            html.contains("href=\"/privacy\""),
            "{path}: footer links the privacy page"
        );
        assert!(
            html.contains("AGPL-3.0-or-later"),
            "{path}: footer names the licence"
        );
        assert!(html.contains("href=\"/login\""), "{path}: sign-in link");
        assert!(
            html.contains("lang=\"ar\" hreflang=\"ar\">العربية</a>"),
            "{path}: the language chooser shows autonyms"
        );
        assert!(!html.contains('⧼'), "{path}: a message key is missing");
    }
}

#[tokio::test]
async fn uselang_then_cookie_then_accept_language() {
    let app = TestApp::spawn().await;
    let html = app.get("/?uselang=ar").await.text().await.unwrap();
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(
        html.contains("تسجيل الدخول") || html.contains("الدخول"),
        "Arabic text"
    );

    let html = reqwest::Client::new()
        .get(app.url("/about"))
        .header("accept-language", "fr-CA,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"fr\" dir=\"ltr\">"));

    // The selector remembers a choice in a cookie, over the browser's preference.
    let response = app.get("/language?uselang=pt-br&return=/about").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/about");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("cxc_lang=pt-br") && cookie.contains("HttpOnly"));
    let html = app
        .client
        .get(app.url("/about"))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"pt-br\" dir=\"ltr\">"));
    // … and ?uselang still wins over the cookie.
    let html = app.get("/about?uselang=es").await.text().await.unwrap();
    assert!(html.contains("<html lang=\"es\""));
}

#[tokio::test]
async fn the_language_selector_never_redirects_off_site() {
    let app = TestApp::spawn().await;
    let response = app.get("/language?uselang=fr&return=//evil.example/").await;
    assert_eq!(response.headers()["location"], "/");
}

#[tokio::test]
async fn the_language_page_lists_every_language_by_region_and_links_back() {
    let app = TestApp::spawn().await;
    let html = app
        .get("/language?return=/people%3Fq%3Dada")
        .await
        .text()
        .await
        .unwrap();
    for language in app.state.i18n.ui_languages() {
        let link = format!(
            "href=\"/language?uselang={}&amp;return=%2Fpeople%3Fq%3Dada\"",
            language.code
        );
        assert!(html.contains(&link), "{} is listed: {link}", language.code);
    }
    for region in ["Worldwide", "Africa", "Asia", "Europe", "Middle East"] {
        assert!(html.contains(&format!("<h2>{region}</h2>")), "{region}");
    }
    let html = app
        .get("/language?return=//evil.example/")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("uselang=fr&amp;return=%2F\""),
        "an off-site return sends people home"
    );
}

#[tokio::test]
async fn the_theme_is_remembered_over_the_system_s_preference() {
    let app = TestApp::spawn().await;
    let html = app.get("/about").await.text().await.unwrap();
    assert!(
        !html.contains("data-theme"),
        "the system decides by default"
    );

    let response = app.get("/theme?set=dark&return=/about").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/about");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("cxc_theme=dark") && cookie.contains("Max-Age=31536000"));
    let html = app.get("/about").await.text().await.unwrap();
    assert!(
        html.contains("data-theme=\"dark\""),
        "the choice is remembered"
    );

    let response = app.get("/theme?set=purple&return=/about&uselang=fr").await;
    assert_eq!(response.status(), 400);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "an unknown theme changes nothing"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(&app.state.i18n.text("fr", "cxc-error-invalid-theme", &[])));
    let html = app.get("/about").await.text().await.unwrap();
    assert!(html.contains("data-theme=\"dark\""));

    let response = app.get("/theme?set=auto&return=//evil.example/").await;
    assert_eq!(response.headers()["location"], "/");
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let html = app.get("/about").await.text().await.unwrap();
    assert!(
        !html.contains("data-theme"),
        "auto follows the system again"
    );
}

#[tokio::test]
async fn unknown_pages_get_a_translated_404_page() {
    let app = TestApp::spawn().await;
    let response = app.get("/nowhere?uselang=fr").await;
    assert_eq!(response.status(), 404);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\""));
    assert!(html.contains(&app.state.i18n.text("fr", "cxc-error-not-found", &[])));
}

#[tokio::test]
async fn static_assets_are_hashed_cached_and_revalidated() {
    let app = TestApp::spawn().await;
    let html = app.get("/").await.text().await.unwrap();
    let start = html.find("/static/style.").unwrap();
    let path = &html[start..start + html[start..].find('"').unwrap()];
    let response = app.get(path).await;
    assert_eq!(response.status(), 200);
    let cache = response.headers()["cache-control"].to_str().unwrap();
    assert!(cache.contains("max-age=31536000") && cache.contains("immutable"));
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let etag = response.headers()["etag"].clone();
    let css = response.text().await.unwrap();
    assert!(
        css.contains("margin-inline"),
        "logical properties for right-to-left layouts"
    );
    let again = app
        .client
        .get(app.url(path))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(app.get("/static/style.0000000000.css").await.status(), 404);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::spawn_with(|c| c.metrics_public = true).await;
    app.get("/about").await;
    app.get("/missing-page").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.contains("http_requests_total{"), "{text}");
    assert!(text.contains("route=\"/about\""));
    assert!(text.contains("status=\"404\""));
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(text.contains("db_pool_connections{"));
}

#[tokio::test]
async fn metrics_can_move_to_a_separate_listener() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = TestApp::spawn_with(|c| c.metrics_listen = Some(port)).await;
    assert_eq!(app.get("/metrics").await.status(), 404);
    let text = reqwest::get(format!("http://{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("db_pool_connections"));
}

#[tokio::test]
async fn shutdown_closes_the_database() {
    let app = TestApp::spawn().await;
    let state = app.state.clone();
    let _db = app.stop().await;
    assert!(state.db.pool().is_closed());
}

#[tokio::test]
async fn results_name_countries_and_join_lists_in_the_reader_s_language() {
    let app = TestApp::spawn().await;
    let ana = app.signed_in("Ana", false).await;
    let (status, _) = crate::common::call(
        &ana,
        reqwest::Method::PUT,
        app.url("/api/v1/me/profile"),
        Some(serde_json::json!({"display_name": "Ana Wanjiru", "country": "KE", "languages": [{"code": "sw", "level": 5}], "wanted": [{"capacity": "wikidata"}, {"capacity": "governance"}]})),
    )
    .await;
    assert_eq!(status, 200);
    let directory = app.state.directory();
    for (lang, separator) in [("en", ", "), ("ar", "، "), ("zh-hans", "、")] {
        let html = app
            .get(&format!("/people?uselang={lang}"))
            .await
            .text()
            .await
            .unwrap();
        let list = [
            directory.capacity("wikidata").unwrap().label(lang),
            directory.capacity("governance").unwrap().label(lang),
        ]
        .join(separator);
        assert!(
            html.contains(&list),
            "{lang}: lists use the language's separator: {list}"
        );
    }
    for (lang, name) in [("en", "Kenya"), ("ar", "كينيا"), ("es", "Kenia")] {
        let html = app
            .get(&format!("/people?uselang={lang}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!(" · {name}")),
            "{lang}: the country by name"
        );
        assert!(!html.contains(" · KE"), "{lang}: not by its code");
    }
}

#[tokio::test]
async fn a_search_that_finds_nobody_offers_to_remove_each_filter() {
    let app = TestApp::spawn().await;
    let html = app.get("/people?uselang=en").await.text().await.unwrap();
    assert!(
        html.contains("Nobody is here yet.") && html.contains("href=\"/profile/edit\""),
        "an empty exchange invites the first profile"
    );
    let html = app
        .get("/people?uselang=en&q=zebra&offers=wikidata-lexemes&country=FJ&available=1")
        .await
        .text()
        .await
        .unwrap();
    let label = app
        .state
        .directory()
        .capacity("wikidata-lexemes")
        .unwrap()
        .label("en")
        .to_owned();
    for (filter, without) in [
        (
            "Words: zebra",
            "offers=wikidata-lexemes&country=FJ&available=1",
        ),
        (label.as_str(), "q=zebra&country=FJ&available=1"),
        ("Fiji", "q=zebra&offers=wikidata-lexemes&available=1"),
        (
            "Available now",
            "q=zebra&offers=wikidata-lexemes&country=FJ",
        ),
    ] {
        let link = format!(
            "<li><a href=\"/people?{}\">Without “{filter}”</a></li>",
            without.replace('&', "&#38;")
        );
        assert!(html.contains(&link), "{filter}: {link}");
    }
}

/// The texts of the `<option>`s of the `<select id="{id}">` of a page, in order.
fn options_of<'a>(html: &'a str, id: &str) -> Vec<&'a str> {
    let select = &html[html.find(&format!("<select id=\"{id}\"")).unwrap()..];
    let select = &select[..select.find("</select>").unwrap()];
    select
        .split("<option value=\"")
        .skip(2)
        .map(|o| &o[o.find('>').unwrap() + 1..o.find("</option>").unwrap()])
        .collect()
}

#[tokio::test]
async fn names_are_listed_as_the_reader_s_language_sorts_them() {
    let app = TestApp::spawn_on(crate::common::with_dataset().await, |_| {}).await;
    let client = app.signed_in("Sorting", false).await;
    let html = client
        .get(app.url("/profile/edit?uselang=fr"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let countries = options_of(&html, "country");
    let mut collated = countries.clone();
    cxc::i18n::sort_by_name("fr", &mut collated, |c| c);
    assert_eq!(countries, collated);
    let at = |name: &str| countries.iter().position(|c| *c == name).unwrap();
    assert!(
        at("Danemark") < at("Égypte") && at("Égypte") < at("Zambie"),
        "Égypte sorts with the E, not after Z"
    );

    let html = app
        .get("/map?uselang=fr&level=country")
        .await
        .text()
        .await
        .unwrap();
    let table = &html[html.find("<tbody>").unwrap()..html.find("</tbody>").unwrap()];
    let rows: Vec<&str> = table
        .split("<tr><th scope=\"row\">")
        .skip(1)
        .map(|r| &r[..r.find("</th>").unwrap()])
        .collect();
    assert!(rows.len() > 10, "{} rows", rows.len());
    let mut collated = rows.clone();
    cxc::i18n::sort_by_name("fr", &mut collated, |c| c);
    assert_eq!(rows, collated, "the map's table lists areas by name");
}
