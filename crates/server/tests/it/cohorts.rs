//! Cohorts: groups proposed for a capacity by language and region, formed from a proposal,
//! invitations answered, a thread for those who joined, a status, and who may do what.

use serde_json::{Value, json};

use crate::common::{TestApp, call};

/// Someone in Kenya speaking Swahili at `rank`, who wants or offers SPARQL.
async fn kenyan(
    app: &TestApp,
    name: &str,
    offers: bool,
    rank: u8,
    recommendable: bool,
) -> reqwest::Client {
    let client = app.signed_in(name, false).await;
    let capacities = json!(["wikidata-sparql"]);
    let (none, some) = (json!([]), capacities);
    let (offered, wanted) = if offers {
        (&some, &none)
    } else {
        (&none, &some)
    };
    let (status, body) = call(
        &client,
        reqwest::Method::PUT,
        app.url("/api/v1/me/profile"),
        Some(json!({
            "display_name": format!("{name} K."),
            "country": "KE",
            "timezone": "Africa/Nairobi",
            "known": offered,
            "offered": offered,
            "wanted": wanted,
            "languages": [{"code": "sw", "level": rank}],
            "recommendable": recommendable,
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    client
}

fn usernames(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_proposed_cohort_is_formed_joined_and_talked_in_by_its_people_only() {
    use reqwest::Method as M;
    let app = TestApp::spawn().await;
    let organiser = kenyan(&app, "Orga", false, 2, true).await;
    let mut learners = Vec::new();
    for name in ["Asha", "Bahati", "Chiku", "Duma"] {
        learners.push(kenyan(&app, name, false, 4, true).await);
    }
    let _shy = kenyan(&app, "Shy", false, 5, false).await;
    let _teacher = kenyan(&app, "Teacher", true, 5, true).await;
    let stranger = kenyan(&app, "Stranger", false, 1, true).await;
    let anonymous = reqwest::Client::new();

    let proposals = app.url("/api/v1/cohorts/proposals?capacity=wikidata-sparql");
    let (status, _) = call(&anonymous, M::GET, proposals.clone(), None).await;
    assert_eq!(status, 401);
    let (status, found) = call(&stranger, M::GET, proposals.clone(), None).await;
    assert_eq!(status, 200, "{found}");
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{found}");
    let group = &items[0];
    assert_eq!(group["capacity"], "wikidata-sparql");
    assert_eq!(group["language"], "sw");
    assert_eq!(group["region"], "SSA");
    assert_eq!(
        usernames(&group["members"]),
        ["Asha", "Bahati", "Chiku", "Duma"],
        "the opted-out and those with too little Swahili are not proposed"
    );
    assert_eq!(usernames(&group["facilitators"]), ["Teacher"]);
    let (status, problem) = call(
        &stranger,
        M::GET,
        app.url("/api/v1/cohorts/proposals?capacity=knitting"),
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "capacity");

    let create = app.url("/api/v1/cohorts");
    let body = json!({
        "name": "SPARQL circle, Nairobi",
        "capacity": "wikidata-sparql",
        "language": "sw",
        "region": "SSA",
        "members": group["members"],
        "facilitators": group["facilitators"],
    });
    let (status, _) = call(&anonymous, M::POST, create.clone(), Some(body.clone())).await;
    assert_eq!(status, 401);
    let (status, problem) = call(
        &organiser,
        M::POST,
        create.clone(),
        Some(json!({"name": "x", "capacity": "wikidata-sparql", "members": ["Nobody"]})),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "members");
    let hidden = app.signed_in("Hidden", false).await;
    let (status, _) = call(
        &hidden,
        M::PUT,
        app.url("/api/v1/me/profile"),
        Some(json!({"display_name": "Hidden", "visibility": "hidden"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, problem) = call(
        &organiser,
        M::POST,
        create.clone(),
        Some(json!({"name": "x", "capacity": "wikidata-sparql", "members": ["Hidden"]})),
    )
    .await;
    assert_eq!(
        (status, &problem["errors"][0]["field"]),
        (422, &json!("members")),
        "who hid their profile is unknown here too"
    );
    let (status, cohort) = call(&organiser, M::POST, create.clone(), Some(body)).await;
    assert_eq!(status, 201, "{cohort}");
    let id = cohort["id"].as_i64().unwrap();
    assert_eq!(cohort["status"], "forming");
    assert_eq!(cohort["organiser"], true);
    assert_eq!(cohort["members"].as_array().unwrap().len(), 5);
    assert!(
        cohort["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["answer"] == "invited")
    );

    let (_, told) = call(
        &learners[0],
        M::GET,
        app.url("/api/v1/me/notifications"),
        None,
    )
    .await;
    assert_eq!(told["items"][0]["kind"], "cohort_invited", "{told}");
    assert_eq!(told["items"][0]["link"], format!("/cohorts/{id}"));

    let one = app.url(&format!("/api/v1/cohorts/{id}"));
    let (_, seen) = call(&learners[0], M::GET, one.clone(), None).await;
    assert_eq!(seen["my_answer"], "invited");
    assert_eq!(seen["in_thread"], false);
    assert_eq!(
        seen["members"].as_array().unwrap().len(),
        1,
        "an invitee sees their own invitation, not the others': {seen}"
    );
    let messages = app.url(&format!("/api/v1/cohorts/{id}/messages"));
    let (status, _) = call(&learners[0], M::GET, messages.clone(), None).await;
    assert_eq!(status, 403, "not before joining");

    let answer = app.url(&format!("/api/v1/cohorts/{id}/answer"));
    let accept = json!({"action": "accept"});
    let (status, _) = call(&stranger, M::POST, answer.clone(), Some(accept.clone())).await;
    assert_eq!(status, 404, "a stranger was never invited");
    let (status, _) = call(&anonymous, M::POST, answer.clone(), Some(accept.clone())).await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &learners[0],
        M::POST,
        answer.clone(),
        Some(json!({"action": "maybe"})),
    )
    .await;
    assert_eq!(status, 422);
    let (status, joined) = call(&learners[0], M::POST, answer.clone(), Some(accept.clone())).await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["my_answer"], "accepted");
    assert_eq!(joined["in_thread"], true);
    let (status, _) = call(
        &learners[0],
        M::POST,
        answer.clone(),
        Some(json!({"action": "decline"})),
    )
    .await;
    assert_eq!(status, 409, "an invitation is answered once");
    let (status, _) = call(
        &learners[1],
        M::POST,
        answer.clone(),
        Some(json!({"action": "decline"})),
    )
    .await;
    assert_eq!(status, 200);

    let hello = json!({"body": "Karibu!\nTuanze Jumatatu?"});
    for (client, expected) in [
        (&anonymous, 401),
        (&stranger, 403),
        (&learners[2], 403),
        (&learners[1], 403),
    ] {
        let (status, _) = call(client, M::POST, messages.clone(), Some(hello.clone())).await;
        assert_eq!(status, expected);
    }
    let (status, thread) = call(&learners[0], M::POST, messages.clone(), Some(hello.clone())).await;
    assert_eq!(status, 201, "{thread}");
    let (status, _) = call(
        &learners[0],
        M::POST,
        messages.clone(),
        Some(json!({"body": "  "})),
    )
    .await;
    assert_eq!(status, 422);
    let (_, thread) = call(&organiser, M::GET, messages.clone(), None).await;
    assert_eq!(thread["items"][0]["body"], "Karibu!\nTuanze Jumatatu?");
    assert_eq!(thread["items"][0]["author"], "Asha");

    let (_, seen) = call(&stranger, M::GET, one.clone(), None).await;
    let shown: Vec<&str> = seen["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert_eq!(shown, ["Asha"], "others see who joined only");
    let (_, seen) = call(&organiser, M::GET, one.clone(), None).await;
    let declined = seen["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["username"] == "Bahati")
        .unwrap();
    assert_eq!(declined["answer"], "declined");

    let invitations = app.url(&format!("/api/v1/cohorts/{id}/invitations"));
    let _late = kenyan(&app, "Late", false, 4, true).await;
    let (status, _) = call(
        &stranger,
        M::POST,
        invitations.clone(),
        Some(json!({"members": ["Late"]})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, invited) = call(
        &organiser,
        M::POST,
        invitations.clone(),
        Some(json!({"members": ["Late", "Asha"]})),
    )
    .await;
    assert_eq!(
        (status, invited["invited"].as_i64()),
        (200, Some(1)),
        "Asha was invited before"
    );

    let (status, _) = call(
        &stranger,
        M::PATCH,
        one.clone(),
        Some(json!({"status": "active"})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = call(
        &organiser,
        M::PATCH,
        one.clone(),
        Some(json!({"status": "paused"})),
    )
    .await;
    assert_eq!(status, 422);
    let (status, done) = call(
        &organiser,
        M::PATCH,
        one.clone(),
        Some(json!({"status": "finished"})),
    )
    .await;
    assert_eq!((status, done["status"].as_str()), (200, Some("finished")));
    let (status, _) = call(
        &organiser,
        M::POST,
        invitations,
        Some(json!({"members": ["Stranger"]})),
    )
    .await;
    assert_eq!(status, 409, "a finished group takes nobody new");

    let (_, mine) = call(&learners[0], M::GET, app.url("/api/v1/cohorts"), None).await;
    assert_eq!(mine["items"][0]["id"], id);
    let (_, mine) = call(&learners[1], M::GET, app.url("/api/v1/cohorts"), None).await;
    assert_eq!(mine["items"], json!([]), "a declined group is not listed");
    let (_, export) = call(&learners[0], M::GET, app.url("/api/v1/me/export"), None).await;
    assert_eq!(export["cohorts"][0]["answer"], "accepted");
    assert_eq!(
        export["cohort_messages"][0]["body"],
        "Karibu!\nTuanze Jumatatu?"
    );
    let (_, export) = call(&learners[1], M::GET, app.url("/api/v1/me/export"), None).await;
    assert_eq!(
        export["cohorts"][0]["answer"], "declined",
        "the export keeps it"
    );
    let dashboard = app.get("/dashboard").await.text().await.unwrap();
    assert!(
        dashboard.contains("/cohorts/proposals?capacity=wikidata-sparql"),
        "the dashboard's cohort candidates link to the proposals"
    );
}

#[tokio::test]
async fn cohort_pages_form_join_and_write_without_javascript_and_refuse_strangers() {
    let app = TestApp::spawn().await;
    let organiser = kenyan(&app, "Orga", false, 2, true).await;
    let mut learners = Vec::new();
    for name in ["Asha", "Bahati", "Chiku"] {
        learners.push(kenyan(&app, name, false, 4, true).await);
    }
    let stranger = kenyan(&app, "Stranger", false, 1, true).await;

    let page = organiser
        .get(app.url("/cohorts/proposals?capacity=wikidata-sparql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"member\" value=\"Asha\""), "{page}");
    assert!(page.contains("href=\"/people/Asha\""));
    let formed = app
        .post_as(
            &organiser,
            "/cohorts/new",
            &[
                ("name", "SPARQL in Swahili"),
                ("capacity", "wikidata-sparql"),
                ("language", "sw"),
                ("region", "SSA"),
                ("member", "Asha"),
                ("member", "Bahati"),
                ("members", "Chiku\n Stranger \n"),
            ],
        )
        .await;
    assert_eq!(formed.status(), 303);
    let location = formed.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = location.trim_start_matches("/cohorts/").parse().unwrap();
    let invalid = app
        .post_as(
            &organiser,
            "/cohorts/new",
            &[("name", ""), ("capacity", "wikidata-sparql")],
        )
        .await;
    assert_eq!(
        invalid.status(),
        422,
        "the form comes back with what is wrong"
    );

    let invite = learners[0]
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(invite.contains("name=\"action\" value=\"accept\""));
    for (path, fields) in [
        (format!("/cohorts/{id}/status"), vec![("status", "active")]),
        (
            format!("/cohorts/{id}/invitations"),
            vec![("members", "Bahati")],
        ),
        (format!("/cohorts/{id}/messages"), vec![("body", "hi")]),
    ] {
        let refused = app.post_as(&learners[0], &path, &fields).await;
        assert_eq!(refused.status(), 403, "an invitee POST {path}");
        let refused = reqwest::Client::new()
            .post(app.url(&path))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert!(
            [401, 403].contains(&refused.status().as_u16()),
            "anonymous POST {path}: {}",
            refused.status()
        );
    }
    let by_box = app
        .post_as(
            &learners[2],
            &format!("/cohorts/{id}/answer"),
            &[("action", "accept")],
        )
        .await;
    assert_eq!(
        by_box.status(),
        303,
        "Chiku was invited through the box of names"
    );
    let refused = app
        .post_as(
            &app.signed_in("Outsider", false).await,
            &format!("/cohorts/{id}/answer"),
            &[("action", "accept")],
        )
        .await;
    assert_eq!(refused.status(), 404);
    let joined = app
        .post_as(
            &learners[0],
            &format!("/cohorts/{id}/answer"),
            &[("action", "accept")],
        )
        .await;
    assert_eq!(joined.status(), 303);
    let wrote = app
        .post_as(
            &learners[0],
            &format!("/cohorts/{id}/messages"),
            &[("body", "Habari!\r\nTukutane Ijumaa.")],
        )
        .await;
    assert_eq!(wrote.status(), 303, "a message over two lines");
    let status = app
        .post_as(
            &organiser,
            &format!("/cohorts/{id}/status"),
            &[("status", "active")],
        )
        .await;
    assert_eq!(status.status(), 303);
    let seen = learners[0]
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(seen.contains("Tukutane Ijumaa."));
    let outside = stranger
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        outside.contains("name=\"action\" value=\"accept\""),
        "the stranger was invited by name"
    );
    assert!(
        !outside.contains("Tukutane Ijumaa."),
        "and reads nothing before joining"
    );
    let list = learners[0]
        .get(app.url("/cohorts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("SPARQL in Swahili"));
}

/// A capacity key as a profile lists it: a string, or an object with its `capacity`.
fn key(entry: &Value) -> &str {
    entry
        .as_str()
        .or_else(|| entry["capacity"].as_str())
        .unwrap()
}

#[tokio::test]
async fn proposals_over_the_dataset_hold_to_their_rules() {
    use std::collections::{HashMap, HashSet};
    let app = TestApp::spawn_on(crate::common::with_dataset().await, |_| {}).await;
    let read = |file: &str| -> Vec<Value> {
        std::fs::read_to_string(crate::common::dataset().join(file))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let parents: HashMap<String, Option<String>> = read("taxonomy.jsonl")
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_owned(),
                c["parent"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let under = |c: &str, area: &str| {
        let mut c = Some(c.to_owned());
        while let Some(now) = c {
            if now == area {
                return true;
            }
            c = parents.get(&now).cloned().flatten();
        }
        false
    };
    let people: HashMap<String, Value> = read("profiles.jsonl")
        .into_iter()
        .map(|p| (p["username"].as_str().unwrap().to_owned(), p))
        .collect();
    let reference = cxc::reference::Reference::load().unwrap();
    // The capacity most people want, among those below an area.
    let mut wanted: HashMap<&str, usize> = HashMap::new();
    for p in people.values() {
        for w in p["wanted"].as_array().unwrap() {
            *wanted.entry(key(w)).or_default() += 1;
        }
    }
    let (&capacity, _) = wanted
        .iter()
        .filter(|(c, _)| parents.get(**c).is_some_and(Option::is_some))
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
        .unwrap();
    let viewer = app.signed_in("Viewer", false).await;
    let (status, found) = call(
        &viewer,
        reqwest::Method::GET,
        app.url(&format!("/api/v1/cohorts/proposals?capacity={capacity}")),
        None,
    )
    .await;
    assert_eq!(status, 200, "{found}");
    let groups = found["items"].as_array().unwrap();
    assert!(
        !groups.is_empty(),
        "{capacity} is wanted by {}",
        wanted[capacity]
    );
    let rank = |p: &Value, language: &str| {
        p["languages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == language)
            .map_or(0, |l| l["level"].as_u64().unwrap_or(6))
    };
    let mut seen = HashSet::new();
    for group in groups {
        let language = group["language"].as_str().unwrap();
        let members = group["members"].as_array().unwrap();
        assert!((3..=25).contains(&members.len()), "{group}");
        for name in members {
            let name = name.as_str().unwrap();
            assert!(seen.insert(name.to_owned()), "{name} is in one group only");
            let p = &people[name];
            assert_ne!(p["visibility"], "hidden", "{name}");
            assert!(
                p["wanted"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|w| under(key(w), capacity)),
                "{name} wants {capacity} or something within it"
            );
            assert!(rank(p, language) >= 3, "{name} uses {language} well");
            if let Some(region) = group["region"].as_str() {
                let country = p["country"].as_str().unwrap();
                assert_eq!(
                    reference.region_of(country).map(|r| r.code()),
                    Some(region),
                    "{name} lives in {region}"
                );
            }
        }
        for name in group["facilitators"].as_array().unwrap() {
            let name = name.as_str().unwrap();
            let p = &people[name];
            assert!(!members.contains(&json!(name)));
            assert!(
                p["offered"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|o| under(key(o), capacity)),
                "{name} offers {capacity}"
            );
            assert!(rank(p, language) >= 3, "{name} facilitates in {language}");
        }
    }
}
