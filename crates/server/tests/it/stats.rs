//! The map, dashboard and open data, checked against counts computed independently from the
//! shared dataset, with small-cell suppression and protected countries.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::common::{TestApp, dataset, with_dataset};

struct Data {
    parents: HashMap<String, Option<String>>,
    people: Vec<Value>,
    regions: HashMap<String, String>,
}

impl Data {
    fn load() -> Data {
        let read = |f: &str| -> Vec<Value> {
            std::fs::read_to_string(dataset().join(f))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        let reference = cxc::reference::Reference::load().unwrap();
        let people: Vec<Value> = read("profiles.jsonl")
            .into_iter()
            .filter(|p| p["visibility"] == "public")
            .collect();
        let regions = people
            .iter()
            .map(|p| p["country"].as_str().unwrap().to_owned())
            .map(|c| {
                (
                    c.clone(),
                    reference.region_of(&c).unwrap().code().to_owned(),
                )
            })
            .collect();
        Data {
            parents: read("taxonomy.jsonl")
                .iter()
                .map(|c| {
                    (
                        c["key"].as_str().unwrap().to_owned(),
                        c["parent"].as_str().map(str::to_owned),
                    )
                })
                .collect(),
            people,
            regions,
        }
    }

    fn under(&self, key: &str, root: &str) -> bool {
        let mut k = Some(key.to_owned());
        while let Some(c) = k {
            if c == root {
                return true;
            }
            k = self.parents[&c].clone();
        }
        false
    }

    fn holds(&self, p: &Value, list: &str, root: Option<&str>) -> bool {
        p[list]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| root.is_none_or(|r| self.under(k.as_str().unwrap(), r)))
    }

    fn speaks(p: &Value, code: &str, min: u64) -> bool {
        p["languages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["code"] == code && l["level"].as_u64().unwrap_or(6) >= min)
    }

    /// Whether a needer's want `w` is covered by an offer of it (or of anything under it) in
    /// the same country or a language both speak at level 3 or more.
    fn covered(&self, needer: &Value, w: &str, people: &[&Value]) -> bool {
        people
            .iter()
            .filter(|o| self.holds(o, "offered", Some(w)))
            .any(|o| {
                o["country"] == needer["country"]
                    || needer["languages"].as_array().unwrap().iter().any(|l| {
                        l["level"].as_u64().unwrap_or(6) >= 3
                            && Self::speaks(o, l["code"].as_str().unwrap(), 3)
                    })
            })
    }

    /// (assets, needs, gap) per country or region code.
    fn counts(
        &self,
        region_level: bool,
        capacity: Option<&str>,
        language: Option<&str>,
        protected: &[&str],
    ) -> BTreeMap<String, (u64, u64, u64)> {
        let people: Vec<&Value> = self
            .people
            .iter()
            .filter(|p| !protected.contains(&p["country"].as_str().unwrap()))
            .filter(|p| language.is_none_or(|l| Self::speaks(p, l, 0)))
            .collect();
        let mut out: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
        for p in &people {
            let country = p["country"].as_str().unwrap();
            let area = if region_level {
                self.regions[country].clone()
            } else {
                country.to_owned()
            };
            let entry = out.entry(area).or_default();
            if self.holds(p, "offered", capacity) {
                entry.0 += 1;
            }
            if self.holds(p, "wanted", capacity) {
                entry.1 += 1;
                let wants: Vec<String> = match capacity {
                    Some(c) => vec![c.to_owned()],
                    None => p["wanted"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|w| w.as_str().unwrap().to_owned())
                        .collect(),
                };
                if wants.iter().any(|w| !self.covered(p, w, &people)) {
                    entry.2 += 1;
                }
            }
        }
        out.retain(|_, c| *c != (0, 0, 0));
        out
    }
}

fn published(n: u64) -> Value {
    if n > 0 && n < 5 {
        Value::Null
    } else {
        Value::from(n)
    }
}

#[tokio::test]
async fn map_figures_match_independent_counts_with_suppression() {
    let app = TestApp::spawn_on(with_dataset().await, |_| {}).await;
    let data = Data::load();
    let cases: &[(&str, Option<&str>, Option<&str>)] = &[
        ("country", None, None),
        ("region", None, None),
        ("country", Some("cap-3"), None),
        ("region", Some("cap-10"), None),
        ("country", Some("cap-40"), None),
        ("country", None, Some("es")),
        ("region", Some("cap-2"), Some("en")),
    ];
    for (level, capacity, language) in cases {
        let mut query = format!("level={level}&mode=gap");
        if let Some(c) = capacity {
            query.push_str(&format!("&capacity={c}"));
        }
        if let Some(l) = language {
            query.push_str(&format!("&language={l}"));
        }
        let doc: Value = app
            .get(&format!("/api/v1/stats/map?{query}"))
            .await
            .json()
            .await
            .unwrap();
        let expected = data.counts(*level == "region", *capacity, *language, &[]);
        let got: BTreeMap<String, Value> = doc["areas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["code"].as_str().unwrap().to_owned(), a.clone()))
            .collect();
        assert_eq!(
            got.keys().collect::<BTreeSet<_>>(),
            expected.keys().collect::<BTreeSet<_>>(),
            "{query}: areas"
        );
        for (code, (assets, needs, gap)) in &expected {
            let area = &got[code];
            assert_eq!(area["assets"], published(*assets), "{query} {code} assets");
            assert_eq!(area["needs"], published(*needs), "{query} {code} needs");
            assert_eq!(area["gap"], published(*gap), "{query} {code} gap");
            let suppressed = [assets, needs, gap].iter().any(|n| **n > 0 && **n < 5);
            assert_eq!(area["suppressed"], suppressed, "{query} {code}");
        }
    }
}

#[tokio::test]
async fn protected_countries_are_left_out_everywhere() {
    let app = TestApp::spawn_on(with_dataset().await, |c| {
        c.protected_countries = vec!["BR".into(), "IR".into()];
        c.min_cell = 3;
    })
    .await;
    let data = Data::load();
    let doc: Value = app
        .get("/api/v1/stats/map?level=country")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        doc["areas"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["code"] != "BR" && a["code"] != "IR")
    );
    assert_eq!(doc["min_cell"], 3);
    let regions: Value = app
        .get("/api/v1/stats/map?level=region")
        .await
        .json()
        .await
        .unwrap();
    let expected = data.counts(true, None, None, &["BR", "IR"]);
    let lac = regions["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "LAC")
        .unwrap();
    assert_eq!(lac["needs"].as_u64().unwrap(), expected["LAC"].1);
    let csv = app
        .get("/opendata/capacities-by-country.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(!csv.lines().any(|l| l.split(',').nth(2) == Some("BR")));
    let dump: Value = app
        .get("/opendata/profiles.jsonld")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        dump["@graph"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["homeLocation"]["identifier"] != "BR")
    );
    let html = app.get("/map").await.text().await.unwrap();
    assert!(!html.contains("country=BR"));
}

#[tokio::test]
async fn open_data_is_described_by_its_datapackage() {
    let app = TestApp::spawn_on(with_dataset().await, |_| {}).await;
    let package: Value = app
        .get("/opendata/datapackage.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(package["licenses"][0]["name"], "CC0-1.0");
    for resource in package["resources"].as_array().unwrap() {
        let name = resource["name"].as_str().unwrap();
        let response = app.get(&format!("/opendata/{name}.csv")).await;
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = response.text().await.unwrap();
        let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let fields: Vec<&Value> = resource["schema"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            header,
            fields
                .iter()
                .map(|f| f["name"].as_str().unwrap())
                .collect::<Vec<_>>(),
            "{name}"
        );
        let mut rows = 0;
        for line in lines {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{name}: {line}");
            for (cell, field) in cells.iter().zip(&fields) {
                match field["type"].as_str().unwrap() {
                    // Counts of people: suppressed when small.
                    "integer"
                        if ["offers", "needs", "gap"]
                            .contains(&field["name"].as_str().unwrap()) =>
                    {
                        assert!(
                            cell.is_empty() || cell.parse::<u64>().is_ok_and(|n| n == 0 || n >= 5),
                            "{name}: {line}"
                        )
                    }
                    "integer" => assert!(
                        cell.is_empty() || cell.parse::<u64>().is_ok(),
                        "{name}: {line}"
                    ),
                    "boolean" => assert!(*cell == "true" || *cell == "false"),
                    _ => {}
                }
            }
            rows += 1;
        }
        if name.starts_with("capacities-") {
            assert!(rows > 100, "{name}: {rows} rows");
        }
    }
    let total_public = Data::load().people.len();
    let dump: Value = app
        .get("/opendata/profiles.jsonld")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dump["@graph"].as_array().unwrap().len(), total_public);
    assert_eq!(dump["@context"], "https://schema.org");
}

#[tokio::test]
async fn the_map_page_is_light_accessible_and_translated() {
    let app = TestApp::spawn_on(with_dataset().await, |_| {}).await;
    for lang in ["en", "ar"] {
        let raw = reqwest::Client::new()
            .get(app.url(&format!("/map?mode=needs&uselang={lang}")))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(raw.headers()["content-encoding"], "gzip");
        let compressed = raw.bytes().await.unwrap();
        assert!(
            compressed.len() < 150_000,
            "{lang}: {} bytes transferred",
            compressed.len()
        );
        let html = app
            .get(&format!("/map?mode=needs&uselang={lang}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("<svg viewBox="));
        assert!(
            html.matches("<path class=\"b").count() > 150,
            "{lang}: country shapes"
        );
        assert!(html.contains("<title>"));
        assert!(html.contains("<table class=\"rows\">"));
        assert!(html.contains("href=\"/people?country="));
        assert!(
            html.contains("href=\"/posts?kind=ask&#38;country="),
            "{lang}: areas link to the open asks behind them"
        );
        assert!(!html.contains('⧼'), "{lang}: missing message");
        let fewer = app.state.i18n.text(lang, "cxc-figure-fewer-than", &["5"]);
        assert!(
            html.contains(&format!("<td>{fewer}</td>")),
            "{lang}: a count too small to show says so in words"
        );
        if lang == "ar" {
            assert!(html.contains("dir=\"rtl\""));
        }
    }
    let dashboard = app.get("/dashboard").await;
    assert_eq!(dashboard.status(), 200);
    let html = dashboard.text().await.unwrap();
    assert!(html.contains("<svg class=\"pair-bar\""));
    assert!(html.contains(&app.state.i18n.text("en", "cxc-dashboard-by-language", &[])));
    assert!(
        html.contains("href=\"/people?wants="),
        "cohort candidates link to the people behind them"
    );
    assert!(!html.contains('⧼'));
}

/// The dashboard's headline count of people, as the page shows it.
async fn dashboard_people(app: &TestApp) -> u64 {
    let html = app.get("/dashboard").await.text().await.unwrap();
    let card = "<p class=\"card\"><strong>";
    let at = html.find(card).expect("the people card") + card.len();
    html[at..html[at..].find('<').unwrap() + at]
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_profile_change_shows_on_the_map_and_dashboard_without_a_restart() {
    let app = TestApp::spawn_with(|c| c.min_cell = 1).await;
    let people_before = dashboard_people(&app).await;
    let before: Value = app
        .get("/api/v1/stats/map?capacity=wikidata")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        before["areas"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["code"] != "TD")
    );
    let client = app.signed_in("Chadian", false).await;
    let body = serde_json::json!({"display_name": "Mahamat", "country": "TD", "known": ["wikidata"], "offered": ["wikidata"]});
    assert_eq!(
        client
            .put(app.url("/api/v1/me/profile"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let after: Value = app
        .get("/api/v1/stats/map?capacity=wikidata")
        .await
        .json()
        .await
        .unwrap();
    let chad = after["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "TD")
        .expect("Chad appears");
    assert_eq!(chad["assets"], 1);
    // The dashboard's figures are kept between requests, until the read model changes.
    assert_eq!(dashboard_people(&app).await, people_before + 1);
}

#[tokio::test]
async fn bad_map_parameters_are_named() {
    let app = TestApp::spawn().await;
    for (query, field) in [
        ("level=planet", "level"),
        ("mode=everything", "mode"),
        ("capacity=nope", "capacity"),
        ("org_kind=club", "org_kind"),
    ] {
        let response = app.get(&format!("/api/v1/stats/map?{query}")).await;
        assert_eq!(response.status(), 422, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn organizations_count_as_assets_and_needs_where_they_are() {
    let app = TestApp::spawn_with(|c| c.min_cell = 1).await;
    let admin = app.signed_in("Curator", true).await;
    let created = app
        .post_as(
            &admin,
            "/organizations/new",
            &[
                ("key", "wm-gh"),
                ("name", "Wikimedia Ghana Test"),
                ("kind", "user_group"),
                ("country", "GH"),
                ("new_cap", "wikidata-sparql"),
                ("rel_new", "known"),
                ("rel_new", "offered"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    let doc: Value = app
        .get("/api/v1/stats/map?capacity=wikidata")
        .await
        .json()
        .await
        .unwrap();
    let ghana = doc["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "GH")
        .expect("Ghana appears");
    assert_eq!(
        ghana["assets"], 1,
        "the group offers something under Wikidata"
    );
    let regions: Value = app
        .get("/api/v1/stats/map?level=region&capacity=wikidata&org_kind=user_group")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        regions["areas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["code"] == "SSA" && a["assets"] == 1)
    );
    let other: Value = app
        .get("/api/v1/stats/map?capacity=communication")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        other["areas"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["code"] != "GH"),
        "outside the capacity's subtree it does not count"
    );
    let by_language: Value = app
        .get("/api/v1/stats/map?capacity=wikidata&language=en")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        by_language["areas"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["code"] != "GH"),
        "organizations speak no language"
    );
}

#[tokio::test]
async fn the_profiles_dump_follows_every_change_to_who_counts() {
    let app = TestApp::spawn_with(|c| c.protected_countries = vec!["IR".into()]).await;
    let graph = |dump: Value| -> Vec<String> {
        dump["@graph"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let dump = || async {
        graph(
            app.get("/opendata/profiles.jsonld")
                .await
                .json()
                .await
                .unwrap(),
        )
    };
    assert!(dump().await.is_empty());
    let client = app.signed_in("Mahamat", false).await;
    let put = |body: Value| {
        let client = client.clone();
        let url = app.url("/api/v1/me/profile");
        async move { client.put(url).json(&body).send().await.unwrap().status() }
    };
    assert_eq!(
        put(json!({"display_name": "Mahamat", "country": "TD"})).await,
        200
    );
    assert_eq!(dump().await, ["Mahamat"], "a new public profile appears");
    assert_eq!(
        put(json!({"display_name": "Mahamat", "country": "TD", "visibility": "members"})).await,
        200
    );
    assert!(dump().await.is_empty(), "members-only leaves the dump");
    assert_eq!(
        put(json!({"display_name": "Mahamat", "country": "IR"})).await,
        200
    );
    assert!(
        dump().await.is_empty(),
        "a protected country leaves the dump"
    );
    assert_eq!(
        put(json!({"display_name": "Mahamat B.", "country": "TD"})).await,
        200
    );
    assert_eq!(dump().await, ["Mahamat B."], "an edit shows at once");
}

#[tokio::test]
async fn the_dashboard_counts_each_completeness_once_and_names_its_chart_colours() {
    let app = TestApp::spawn_on(crate::common::with_dataset().await, |c| c.min_cell = 1).await;
    let html = app.get("/dashboard?uselang=en").await.text().await.unwrap();
    let table = &html[html.find("Parts filled in").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let rows: Vec<(String, u64)> = table
        .split("<tr><th scope=\"row\">")
        .skip(1)
        .map(|row| {
            let label = row[..row.find("</th>").unwrap()].to_owned();
            let cell = &row[row.find("<td>").unwrap() + 4..];
            (label, cell[..cell.find("</td>").unwrap()].parse().unwrap())
        })
        .collect();
    let labels: Vec<&str> = rows.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        ["0 of 5", "1 of 5", "2 of 5", "3 of 5", "4 of 5", "5 of 5"]
    );
    let total: u64 = rows.iter().map(|(_, n)| n).sum();
    assert_eq!(
        total,
        dashboard_people(&app).await,
        "every public profile is in one row"
    );
    for legend in [
        "swatch need",
        "swatch offer",
        "swatch opened",
        "swatch completed",
    ] {
        assert!(html.contains(legend), "{legend}: the charts have a legend");
    }
    assert!(
        html.contains("<text x="),
        "the months are labelled under their columns"
    );
}
