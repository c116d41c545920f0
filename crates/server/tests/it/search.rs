//! Search and matching through the HTTP API, checked against a brute-force reading of the
//! shared dataset; two instances on one database.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::common::{TestApp, dataset, with_dataset};

/// The dataset as plain data, for answering queries the slow, obvious way.
struct Truth {
    parents: HashMap<String, Option<String>>,
    profiles: Vec<Value>,
    regions: HashMap<String, String>,
}

impl Truth {
    fn load() -> Truth {
        let read = |f: &str| -> Vec<Value> {
            std::fs::read_to_string(dataset().join(f))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        let reference = cxc::reference::Reference::load().unwrap();
        let profiles = read("profiles.jsonl");
        let regions = profiles
            .iter()
            .filter_map(|p| p["country"].as_str())
            .map(|c| {
                (
                    c.to_owned(),
                    reference.region_of(c).unwrap().code().to_owned(),
                )
            })
            .collect();
        Truth {
            parents: read("taxonomy.jsonl")
                .iter()
                .map(|c| {
                    (
                        c["key"].as_str().unwrap().to_owned(),
                        c["parent"].as_str().map(str::to_owned),
                    )
                })
                .collect(),
            profiles,
            regions,
        }
    }

    fn with_ancestors(&self, list: &Value) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for k in list.as_array().unwrap() {
            let mut key = Some(k.as_str().unwrap().to_owned());
            while let Some(current) = key {
                key = self.parents[&current].clone();
                out.insert(current);
            }
        }
        out
    }

    fn rank(level: &Value) -> u8 {
        level.as_u64().map_or(6, |n| n as u8)
    }

    /// Usernames a signed-out caller finds with these filters.
    fn answer(&self, filters: &[(&str, Vec<String>)], min_level: u8) -> BTreeSet<String> {
        self.profiles
            .iter()
            .filter(|p| p["visibility"] == "public")
            .filter(|p| {
                filters.iter().all(|(name, values)| {
                    let any = |set: BTreeSet<String>| values.iter().any(|v| set.contains(v));
                    match *name {
                        "offers" => any(self.with_ancestors(&p["offered"])),
                        "wants" => any(self.with_ancestors(&p["wanted"])),
                        "knows" => any(self.with_ancestors(&p["known"])),
                        "language" => p["languages"].as_array().unwrap().iter().any(|l| {
                            values.iter().any(|v| l["code"] == v.as_str())
                                && Self::rank(&l["level"]) >= min_level
                        }),
                        "country" => values.iter().any(|v| p["country"] == v.as_str()),
                        "region" => values
                            .iter()
                            .any(|v| self.regions.get(p["country"].as_str().unwrap()) == Some(v)),
                        "affiliation" => p["affiliations"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|a| values.iter().any(|v| a == v.as_str())),
                        other => panic!("no brute force for {other}"),
                    }
                })
            })
            .map(|p| p["username"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// A small deterministic generator, so failures can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() % items.len()]
    }
}

async fn all_pages(app: &TestApp, query: &str) -> (u64, Vec<String>, Value) {
    let mut names = Vec::new();
    let mut url = format!("/api/v1/profiles?{query}&limit=100");
    let mut first: Option<Value> = None;
    loop {
        let response = app.get(&url).await;
        assert_eq!(response.status(), 200, "{url}");
        let body: Value = response.json().await.unwrap();
        names.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["username"].as_str().unwrap().to_owned()),
        );
        let next = body["next_cursor"].as_str().map(str::to_owned);
        if first.is_none() {
            first = Some(body);
        }
        match next {
            Some(c) => url = format!("/api/v1/profiles?{query}&limit=100&cursor={c}"),
            None => break,
        }
    }
    let first = first.unwrap();
    (
        first["total"].as_u64().unwrap(),
        names,
        first["facets"].clone(),
    )
}

fn encode(filters: &[(&str, Vec<String>)], min_level: Option<u8>) -> String {
    let mut pairs: Vec<(String, String)> = filters
        .iter()
        .flat_map(|(n, vs)| vs.iter().map(move |v| ((*n).to_owned(), v.clone())))
        .collect();
    if let Some(m) = min_level {
        pairs.push((
            "min_level".into(),
            if m == 6 {
                "native".into()
            } else {
                m.to_string()
            },
        ));
    }
    serde_urlencoded::to_string(&pairs).unwrap()
}

#[tokio::test]
async fn search_agrees_with_a_brute_force_answer() {
    let app = TestApp::spawn_on(with_dataset().await, |_| {}).await;
    let truth = Truth::load();
    let mut rng = Lcg(7);
    let dims = [
        "offers",
        "wants",
        "knows",
        "language",
        "country",
        "region",
        "affiliation",
    ];
    for round in 0..40 {
        let mut filters: Vec<(&str, Vec<String>)> = Vec::new();
        let count = 1 + rng.next() % 3;
        for _ in 0..count {
            let dim = *rng.pick(&dims);
            if filters.iter().any(|(d, _)| *d == dim) {
                continue;
            }
            let mut values = BTreeSet::new();
            for _ in 0..(1 + rng.next() % 2) {
                let p = rng.pick(&truth.profiles);
                let candidates: Vec<String> = match dim {
                    "offers" => truth.with_ancestors(&p["offered"]).into_iter().collect(),
                    "wants" => truth.with_ancestors(&p["wanted"]).into_iter().collect(),
                    "knows" => truth.with_ancestors(&p["known"]).into_iter().collect(),
                    "language" => p["languages"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|l| l["code"].as_str().unwrap().to_owned())
                        .collect(),
                    "country" => vec![p["country"].as_str().unwrap().to_owned()],
                    "region" => vec![truth.regions[p["country"].as_str().unwrap()].clone()],
                    _ => p["affiliations"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_owned())
                        .collect(),
                };
                if !candidates.is_empty() {
                    values.insert(rng.pick(&candidates).clone());
                }
            }
            if !values.is_empty() {
                filters.push((dim, values.into_iter().collect()));
            }
        }
        let min_level = filters
            .iter()
            .any(|(d, _)| *d == "language")
            .then(|| (rng.next() % 7) as u8);
        let query = encode(&filters, min_level);
        let expected = truth.answer(&filters, min_level.unwrap_or(0));
        let (total, names, facets) = all_pages(&app, &query).await;
        let got: BTreeSet<String> = names.iter().cloned().collect();
        assert_eq!(
            names.len(),
            got.len(),
            "round {round}: pages repeat people for {query}"
        );
        assert_eq!(
            total as usize,
            expected.len(),
            "round {round}: total for {query}"
        );
        assert_eq!(got, expected, "round {round}: {query}");
        // A facet count is the total the search would have with that value instead.
        if let Some((dim, _)) = filters.first()
            && let Some(value) = facets[*dim].as_array().and_then(|v| v.first())
        {
            let mut changed = filters.clone();
            changed[0].1 = vec![value["value"].as_str().unwrap().to_owned()];
            let expected = truth.answer(&changed, min_level.unwrap_or(0)).len() as u64;
            assert_eq!(
                value["count"].as_u64().unwrap(),
                expected,
                "round {round}: facet {dim} of {query}"
            );
        }
    }
}

#[tokio::test]
async fn free_text_ignores_case_and_diacritics_in_any_script() {
    let app = TestApp::spawn_on(with_dataset().await, |_| {}).await;
    let truth = Truth::load();
    let fold = cxc::text_index::fold;
    for (query, word) in [
        ("ÉLODIE", "elodie"),
        ("nunez", "nunez"),
        ("سارة", "سارة"),
        ("Łukasz", "lukasz"),
        ("wikidata", "wikidata"),
    ] {
        let expected: BTreeSet<String> = truth
            .profiles
            .iter()
            .filter(|p| p["visibility"] == "public")
            .filter(|p| {
                let text = fold(&format!(
                    "{} {} {}",
                    p["display_name"].as_str().unwrap(),
                    p["username"].as_str().unwrap().replace('_', " "),
                    p["bio"].as_str().unwrap()
                ));
                text.split(|c: char| !c.is_alphanumeric())
                    .any(|t| t == fold(word))
            })
            .map(|p| p["username"].as_str().unwrap().to_owned())
            .collect();
        assert!(!expected.is_empty(), "{query} should find someone");
        let (total, names, _) = all_pages(&app, &format!("q={}", urlencode(query))).await;
        assert_eq!(total as usize, expected.len(), "{query}");
        assert_eq!(
            names.into_iter().collect::<BTreeSet<_>>(),
            expected,
            "{query}"
        );
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .unwrap()
        .trim_start_matches('=')
        .to_owned()
}

#[tokio::test]
async fn members_only_profiles_need_a_signed_in_caller_and_hidden_ones_never_show() {
    let app = TestApp::spawn_on(with_dataset().await, |_| {}).await;
    let truth = Truth::load();
    let count = |v: &str| {
        truth
            .profiles
            .iter()
            .filter(|p| p["visibility"] == v)
            .count() as u64
    };
    let anonymous: Value = app
        .get("/api/v1/profiles?limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(anonymous["total"].as_u64().unwrap(), count("public"));
    let member = app.signed_in("Searcher", false).await;
    let signed: Value = member
        .get(app.url("/api/v1/profiles?limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        signed["total"].as_u64().unwrap(),
        count("public") + count("members")
    );
    let hidden = truth
        .profiles
        .iter()
        .find(|p| p["visibility"] == "hidden")
        .unwrap();
    let name = hidden["display_name"]
        .as_str()
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    let found: Value = member
        .get(app.url(&format!("/api/v1/profiles?q={}&limit=100", urlencode(name))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["username"] != hidden["username"])
    );
}

#[tokio::test]
async fn bad_filters_are_named() {
    let app = TestApp::spawn().await;
    for (query, field, code) in [
        ("offers=no-such-capacity", "offers", "unknown_capacity"),
        ("region=MARS", "region", "unknown_region"),
        ("language=zz-nope", "language", "unknown_language"),
        ("limit=1000", "limit", "invalid_limit"),
        ("cursor=garbage", "cursor", "invalid_cursor"),
        ("min_level=9", "min_level", "invalid_level"),
    ] {
        let response = app.get(&format!("/api/v1/profiles?{query}")).await;
        assert_eq!(response.status(), 422, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], field, "{query}");
        assert_eq!(body["errors"][0]["code"], code, "{query}");
    }
}

#[tokio::test]
async fn the_people_page_works_without_javascript() {
    let app = TestApp::spawn_on(with_dataset().await, |_| {}).await;
    let html = app
        .get("/people?region=LAC&uselang=es")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"es\""));
    assert!(
        html.contains("href=\"/people?region=LAC&#38;"),
        "facet links keep the current filters"
    );
    assert!(html.contains("rel=\"next\""));
    assert!(!html.contains('⧼'));
    let next = html.split("rel=\"next\"").next().unwrap();
    let href = next
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&");
    assert_eq!(app.get(&href).await.status(), 200);
}

fn profile(offered: &[&str], wanted: &[&str], language: &str) -> Value {
    json!({
        "display_name": "Someone",
        "languages": [{"code": language, "level": 4}],
        "known": offered,
        "offered": offered,
        "wanted": wanted,
        "country": "KE",
    })
}

#[tokio::test]
async fn matches_explain_themselves_and_put_mutual_pairs_first() {
    let app = TestApp::spawn().await;
    let me = app.signed_in("Me", false).await;
    let teacher = app.signed_in("Teacher", false).await;
    let mutual = app.signed_in("Mutual", false).await;
    let stranger = app.signed_in("Stranger", false).await;
    let put = |c: &reqwest::Client, body: Value| {
        let c = c.clone();
        let url = app.url("/api/v1/me/profile");
        async move { assert_eq!(c.put(url).json(&body).send().await.unwrap().status(), 200) }
    };
    put(&me, profile(&["translation"], &["wikidata-sparql"], "sw")).await;
    put(&teacher, profile(&["wikidata-sparql"], &[], "sw")).await;
    put(
        &mutual,
        profile(&["wikidata-sparql"], &["translation"], "sw"),
    )
    .await;
    put(
        &stranger,
        profile(&["wikidata-sparql"], &["translation"], "ja"),
    )
    .await;
    let found: Value = me
        .get(app.url("/api/v1/me/matches?limit=5&uselang=fr"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = found["items"].as_array().unwrap();
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Mutual", "Teacher"], "no shared language, no match");
    assert_eq!(items[0]["direction"], "mutual");
    assert_eq!(items[1]["direction"], "learn_from");
    assert!(items[0]["score"].as_f64().unwrap() > items[1]["score"].as_f64().unwrap());
    assert_eq!(items[1]["capacities"][0]["wanted"], "wikidata-sparql");
    assert_eq!(items[1]["capacities"][0]["fit"], "exact");
    let codes: Vec<&str> = items[0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"capacity") && codes.contains(&"language") && codes.contains(&"region"),
        "{codes:?}"
    );
    let swahili = app.state.i18n.autonym("sw").unwrap();
    assert!(
        items[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["text"].as_str().unwrap().contains(swahili))
    );

    // Opting out of recommendations removes you from everyone's suggestions.
    let mut opted_out = profile(&["wikidata-sparql"], &["translation"], "sw");
    opted_out["recommendable"] = json!(false);
    put(&mutual, opted_out).await;
    let found: Value = me
        .get(app.url("/api/v1/me/matches"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Teacher"]);

    let page = me
        .get(app.url("/matches?uselang=ar"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("dir=\"rtl\"") && page.contains("Teacher"));
    let home = me
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("href=\"/matches\""));
    assert_eq!(
        reqwest::Client::new()
            .get(app.url("/api/v1/me/matches"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn organizations_get_suggestions_too() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("Curator", true).await;
    let helper = app.signed_in("Helper", false).await;
    let created = app
        .post_as(
            &admin,
            "/organizations/new",
            &[
                ("key", "ug-test"),
                ("name", "Test UG"),
                ("kind", "user_group"),
                ("country", "GH"),
                ("new_cap", "grant-writing"),
                ("rel_new", "wanted"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    let body = profile(&["grant-writing"], &[], "en");
    assert_eq!(
        helper
            .put(app.url("/api/v1/me/profile"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let found: Value = app
        .get("/api/v1/organizations/ug-test/matches")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["items"][0]["username"], "Helper");
    assert_eq!(found["items"][0]["direction"], "learn_from");
}

#[tokio::test]
async fn a_change_on_one_instance_shows_on_another_without_a_restart() {
    let first = TestApp::spawn().await;
    let db_url = first.db.url.clone();
    let second = TestApp::spawn_with(|c| c.database = db_url).await;
    let writer = first.signed_in("Traveller", false).await;
    let body = json!({"display_name": "Zanzibar Traveller", "languages": [{"code": "sw", "level": "native"}], "known": ["translation"], "offered": ["translation"]});
    assert_eq!(
        writer
            .put(first.url("/api/v1/me/profile"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let started = std::time::Instant::now();
    loop {
        let found: Value = second
            .get("/api/v1/profiles?q=zanzibar&offers=translation")
            .await
            .json()
            .await
            .unwrap();
        if found["total"] == 1 {
            break;
        }
        // The follower looks every 300 ms; the bound only keeps a broken one from hanging
        // the suite.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "not visible on the second instance after 20 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn blocked_pairs_are_never_matched_either_way() {
    let app = TestApp::spawn().await;
    let a = app.signed_in("Alpha", false).await;
    let b = app.signed_in("Beta", false).await;
    let put = |c: &reqwest::Client, body: Value| {
        let c = c.clone();
        let url = app.url("/api/v1/me/profile");
        async move { assert_eq!(c.put(url).json(&body).send().await.unwrap().status(), 200) }
    };
    put(&a, profile(&["translation"], &["wikidata-sparql"], "en")).await;
    put(&b, profile(&["wikidata-sparql"], &["translation"], "en")).await;
    let names = |c: reqwest::Client| {
        let url = app.url("/api/v1/me/matches");
        async move {
            let found: Value = c.get(url).send().await.unwrap().json().await.unwrap();
            found["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["username"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names(a.clone()).await, ["Beta"]);
    let blocked = a
        .put(app.url("/api/v1/me/blocks/Beta"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), 204);
    assert!(names(a.clone()).await.is_empty());
    assert!(
        names(b.clone()).await.is_empty(),
        "the blocked person does not see the blocker either"
    );
    let listed: Value = a
        .get(app.url("/api/v1/me/blocks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, serde_json::json!(["Beta"]));
    let myself = a
        .put(app.url("/api/v1/me/blocks/Alpha"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(myself.status(), 400);
    let unblocked = a
        .delete(app.url("/api/v1/me/blocks/Beta"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(unblocked.status(), 204);
    assert_eq!(names(b).await, ["Alpha"]);
}

#[tokio::test]
async fn facet_values_are_labelled_in_the_reader_s_language_in_order_and_follow_renames() {
    let app = TestApp::spawn_on(with_dataset().await, |_| {}).await;
    let facets = |lang: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/profiles?limit=1&uselang={lang}"))
                .await
                .json::<Value>()
                .await
                .unwrap()["facets"]
                .clone()
        }
    };
    let label = |facets: &Value, name: &str, value: &str| {
        facets[name]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["value"] == value)
            .map(|v| v["label"].as_str().unwrap().to_owned())
    };
    let fr = facets("fr").await;
    let order = cxc::i18n::name_order("fr");
    for (name, values) in fr.as_object().unwrap() {
        for pair in values.as_array().unwrap().windows(2) {
            let count = |v: &Value| v["count"].as_u64().unwrap();
            let (a, b) = (&pair[0], &pair[1]);
            let label = |v: &Value| v["label"].as_str().unwrap().to_owned();
            assert!(
                count(a) > count(b)
                    || (count(a) == count(b) && order(&label(a), &label(b)).is_le()),
                "{name}: most results first, then by label as French sorts it: {a} before {b}"
            );
        }
    }
    assert_eq!(
        label(&fr, "region", "SSA").as_deref(),
        Some("Afrique subsaharienne")
    );
    let en = facets("en").await;
    assert_eq!(
        label(&en, "region", "SSA").as_deref(),
        Some("Sub-Saharan Africa"),
        "each language has its own labels"
    );
    assert_eq!(
        label(&en, "affiliation", "WMVE").as_deref(),
        Some("Wikimedia Venezuela")
    );
    let admin = app.signed_in("Curator", true).await;
    let renamed = app
        .post_as(
            &admin,
            "/organizations/WMVE/edit",
            &[
                ("name", "Wikimedia Venezuela Renamed"),
                ("kind", "chapter"),
                ("country", "VE"),
            ],
        )
        .await;
    assert_eq!(renamed.status(), 303);
    assert_eq!(
        label(&facets("en").await, "affiliation", "WMVE").as_deref(),
        Some("Wikimedia Venezuela Renamed"),
        "a renamed organization shows under its new name at once"
    );
}

#[tokio::test]
async fn a_caller_asks_for_the_facets_it_needs_or_none() {
    let app = TestApp::spawn_on(with_dataset().await, |_| {}).await;
    let get = |query: &'static str| {
        let app = &app;
        async move {
            let response = app
                .get(&format!("/api/v1/profiles?wants=cap-25&{query}"))
                .await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (_, all) = get("").await;
    let names =
        |v: &Value| -> Vec<String> { v["facets"].as_object().unwrap().keys().cloned().collect() };
    assert!(
        names(&all).len() >= 8,
        "every facet by default: {:?}",
        names(&all)
    );
    let (_, none) = get("facets=none").await;
    assert_eq!(names(&none), Vec::<String>::new());
    assert_eq!(
        none["total"], all["total"],
        "the same people, without counting"
    );
    assert_eq!(none["items"], all["items"]);
    for query in ["facets=language,wants", "facets=language&facets=wants"] {
        let (_, some) = get(query).await;
        assert_eq!(names(&some), ["language", "wants"], "{query}");
        assert_eq!(
            some["facets"]["wants"], all["facets"]["wants"],
            "a filtered facet counts as it does among all: {query}"
        );
        assert_eq!(some["facets"]["language"], all["facets"]["language"]);
    }
    let (status, problem) = get("facets=colour").await;
    assert_eq!(
        (status, &problem["errors"][0]["field"]),
        (422, &json!("facets"))
    );
}

#[tokio::test]
async fn match_reasons_never_contradict_and_a_boost_says_which_it_is() {
    let app = TestApp::spawn_on(with_dataset().await, |_| {}).await;
    let capacities: Value = app.get("/api/v1/capacities").await.json().await.unwrap();
    let leaves: Vec<&str> = capacities
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["depth"] == 3)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let lang = |lang: &str, key: &str| app.state.i18n.text(lang, key, &[]);
    let boosts = [
        lang("en", "cxc-match-reason-boosted-emerging"),
        lang("en", "cxc-match-reason-boosted-rare"),
    ];
    let (mut far, mut near, mut boosted) = (0, 0, 0);
    // People far from most of the community in time, and people close to it, who want many
    // capacities: their suggestions carry every kind of reason.
    for (i, timezone) in [
        "Pacific/Auckland",
        "Europe/Berlin",
        "America/Lima",
        "Asia/Kolkata",
    ]
    .iter()
    .enumerate()
    {
        let client = app.signed_in(&format!("Reasons {i}"), false).await;
        let wanted: Vec<Value> = leaves
            .iter()
            .skip(i * 5)
            .take(8)
            .map(|c| json!({"capacity": c}))
            .collect();
        let response = client
            .put(app.url("/api/v1/me/profile"))
            .json(&json!({
                "display_name": format!("Reasons {i}"),
                "timezone": timezone,
                "languages": [{"code": "en", "level": 4}, {"code": "fr", "level": 3}, {"code": "es", "level": 3}],
                "wanted": wanted,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let matches: Value = client
            .get(app.url("/api/v1/me/matches?limit=50&uselang=en"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for m in matches["items"].as_array().unwrap() {
            let reasons = m["reasons"].as_array().unwrap();
            let codes: Vec<&str> = reasons
                .iter()
                .map(|r| r["code"].as_str().unwrap())
                .collect();
            let texts: Vec<&str> = reasons
                .iter()
                .map(|r| r["text"].as_str().unwrap())
                .collect();
            assert!(
                !(codes.contains(&"time_zone") && codes.contains(&"distance")),
                "the hours apart are said once, as a reason or as what lowered it: {texts:?}"
            );
            if codes.contains(&"distance") {
                far += 1;
            }
            if codes.contains(&"time_zone") {
                near += 1;
            }
            for r in reasons.iter().filter(|r| r["code"] == "boosted") {
                boosted += 1;
                assert!(
                    boosts.iter().any(|b| r["text"] == b.as_str()),
                    "a boost names itself: {}",
                    r["text"]
                );
            }
        }
    }
    assert!(
        far > 0 && near > 0 && boosted > 0,
        "far {far}, near {near}, boosted {boosted}"
    );
}
