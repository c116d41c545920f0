//! Learning events: announcing, listing, registering with a waiting list, changes and
//! cancellation carried to calendars, and who may change an event.

use serde_json::{Value, json};

use crate::common::{TestApp, call};

async fn with_profile(app: &TestApp, name: &str, timezone: &str) -> reqwest::Client {
    let client = app.signed_in(name, false).await;
    let (status, _) = call(
        &client,
        reqwest::Method::PUT,
        app.url("/api/v1/me/profile"),
        Some(json!({"display_name": name, "timezone": timezone, "languages": [{"code": "sw", "level": 4}]})),
    )
    .await;
    assert_eq!(status, 200);
    client
}

fn clinic(start: &str, end: &str) -> Value {
    json!({
        "title": "SPARQL clinic",
        "description": "Bring a question you want Wikidata to answer.",
        "kind": "clinic",
        "capacities": ["wikidata-sparql"],
        "languages": ["sw", "en"],
        "online": true,
        "start": start,
        "end": end,
        "timezone": "Africa/Nairobi",
        "repeat": "weekly",
        "occurrences": 4,
        "limit": 2,
    })
}

#[tokio::test]
async fn an_event_is_announced_found_and_filled_with_a_waiting_list() {
    let app = TestApp::spawn().await;
    let host = with_profile(&app, "Host", "Africa/Nairobi").await;
    let learner = app.signed_in("Learner", false).await;
    call(
        &learner,
        reqwest::Method::PUT,
        app.url("/api/v1/me/profile"),
        Some(json!({"display_name": "Lea", "wanted": ["wikidata"], "languages": [{"code": "sw", "level": 4}]})),
    )
    .await;
    let year = app.state.clock.today().year() + 1;
    let (start, end) = (format!("{year}-01-14T18:00"), format!("{year}-01-14T19:30"));
    let (status, event) = call(
        &host,
        reqwest::Method::POST,
        app.url("/api/v1/events"),
        Some(clinic(&start, &end)),
    )
    .await;
    assert_eq!(status, 201, "{event}");
    let id = event["id"].as_i64().unwrap();
    assert_eq!(event["start"], start);
    assert_eq!(event["timezone"], "Africa/Nairobi");
    assert_eq!(
        event["start_utc"],
        format!("{year}-01-14T15:00:00Z"),
        "18:00 in Nairobi"
    );
    assert_eq!(event["status"], "scheduled");
    assert_eq!(event["organizer"], "Host");

    let (_, told) = call(
        &learner,
        reqwest::Method::GET,
        app.url("/api/v1/me/notifications"),
        None,
    )
    .await;
    assert_eq!(
        told["items"][0]["kind"], "event_suggested",
        "who wants Wikidata hears of it"
    );
    assert_eq!(told["items"][0]["link"], format!("/events/{id}"));
    let (_, own) = call(
        &host,
        reqwest::Method::GET,
        app.url("/api/v1/me/notifications"),
        None,
    )
    .await;
    assert_eq!(own["items"], json!([]), "not its organizer");
    let home = learner
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains(&format!("/events/{id}")),
        "someone who wants to learn Wikidata sees the SPARQL clinic suggested"
    );
    let anyone = reqwest::Client::new();
    let (_, list) = call(
        &anyone,
        reqwest::Method::GET,
        app.url("/api/v1/events?capacity=wikidata"),
        None,
    )
    .await;
    assert_eq!(
        list["items"][0]["id"], id,
        "a capacity includes those under it"
    );
    let (_, none) = call(
        &anyone,
        reqwest::Method::GET,
        app.url("/api/v1/events?kind=webinar"),
        None,
    )
    .await;
    assert_eq!(none["items"], json!([]));
    let (status, _) = call(
        &anyone,
        reqwest::Method::GET,
        app.url("/api/v1/events?kind=party"),
        None,
    )
    .await;
    assert_eq!(status, 422);

    // Two seats; the third asks and waits; a seat that frees up goes to who waited.
    let url = app.url(&format!("/api/v1/events/{id}/registration"));
    let mut places = Vec::new();
    for name in ["Ana", "Ben", "Chi"] {
        let client = with_profile(&app, name, "America/Sao_Paulo").await;
        let (status, place) = call(&client, reqwest::Method::PUT, url.clone(), None).await;
        assert_eq!(status, 200);
        places.push((client, place["place"].as_str().unwrap().to_owned()));
    }
    let kinds: Vec<&str> = places.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(kinds, ["registered", "registered", "waiting"]);
    let (status, _) = call(&places[0].0, reqwest::Method::DELETE, url.clone(), None).await;
    assert_eq!(status, 204);
    let (_, now) = call(
        &anyone,
        reqwest::Method::GET,
        app.url(&format!("/api/v1/events/{id}")),
        None,
    )
    .await;
    assert_eq!(
        (now["registered"].as_u64(), now["waiting"].as_u64()),
        (Some(2), Some(0))
    );
    let (_, told) = call(
        &places[2].0,
        reqwest::Method::GET,
        app.url("/api/v1/me/notifications"),
        None,
    )
    .await;
    assert_eq!(
        told["items"][0]["kind"], "seat_given",
        "the one who waited is told"
    );
    let page = places[2]
        .0
        .get(app.url(&format!("/events/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&app.state.i18n.text("en", "cxc-event-place-registered", &[])),
        "the one who waited has the seat"
    );
    assert!(
        page.contains(&format!("{year}-01-14 12:00")),
        "times are shown in the viewer's zone (São Paulo)"
    );
    let (status, place) = call(
        &places[0].0,
        reqwest::Method::PUT,
        url.clone(),
        Some(json!({"want": "interest"})),
    )
    .await;
    assert_eq!((status, place["place"].as_str()), (200, Some("interested")));
    let (_, export) = call(
        &host,
        reqwest::Method::GET,
        app.url("/api/v1/me/export"),
        None,
    )
    .await;
    assert_eq!(export["events"][0]["role"], "organizer");
    assert_eq!(
        call(&anyone, reqwest::Method::PUT, url.clone(), None)
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn calendars_carry_changes_and_cancellations() {
    let app = TestApp::spawn().await;
    let host = with_profile(&app, "Host", "Africa/Nairobi").await;
    let stranger = with_profile(&app, "Stranger", "Africa/Nairobi").await;
    let year = app.state.clock.today().year() + 1;
    let body = clinic(
        &format!("{year}-02-01T09:00"),
        &format!("{year}-02-01T11:00"),
    );
    let (_, event) = call(
        &host,
        reqwest::Method::POST,
        app.url("/api/v1/events"),
        Some(body.clone()),
    )
    .await;
    let id = event["id"].as_i64().unwrap();
    let ics = app.get("/events.ics").await;
    assert_eq!(
        ics.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let ics = ics.text().await.unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    assert!(ics.contains(&format!("UID:event-{id}@")));
    assert!(
        ics.contains(&format!("DTSTART:{year}0201T060000Z")),
        "{ics}"
    );
    assert!(
        ics.contains(&format!(
            "RDATE:{year}0208T060000Z,{year}0215T060000Z,{year}0222T060000Z"
        )),
        "each later occurrence at its own instant: {ics}"
    );
    assert!(ics.contains("SEQUENCE:0"));
    assert!(ics.contains("STATUS:CONFIRMED"));
    assert_eq!(ics.matches("DTSTAMP").count(), 1, "{ics}");
    assert!(ics.contains("\r\n"), "lines end in CRLF, as RFC 5545 says");

    let url = app.url(&format!("/api/v1/events/{id}"));
    let mut moved = body.clone();
    moved["title"] = json!("Mine now");
    assert_eq!(
        call(
            &stranger,
            reqwest::Method::PATCH,
            url.clone(),
            Some(moved.clone())
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(
            &reqwest::Client::new(),
            reqwest::Method::PATCH,
            url.clone(),
            Some(moved)
        )
        .await
        .0,
        401
    );
    let mut cancelled = body.clone();
    cancelled["status"] = json!("cancelled");
    let (status, saved) = call(&host, reqwest::Method::PATCH, url.clone(), Some(cancelled)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["status"], "cancelled");
    let ics = app
        .get("/capacities/wikidata-sparql/events.ics")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        ics.contains(&format!("UID:event-{id}@")),
        "the capacity's feed has it"
    );
    assert!(
        ics.contains("STATUS:CANCELLED"),
        "a cancelled event stays, marked"
    );
    assert!(ics.contains("SEQUENCE:1"), "the change is counted");
    assert!(
        app.get("/capacities/translation/events.ics")
            .await
            .text()
            .await
            .unwrap()
            .find("BEGIN:VEVENT")
            .is_none()
    );
    let (status, _) = call(
        &stranger,
        reqwest::Method::PUT,
        app.url(&format!("/api/v1/events/{id}/registration")),
        None,
    )
    .await;
    assert_eq!(status, 409, "no registering for a cancelled event");

    // A suspended organizer's events leave the lists and feeds.
    let (_, other) = call(
        &stranger,
        reqwest::Method::POST,
        app.url("/api/v1/events"),
        Some(clinic(
            &format!("{year}-04-01T09:00"),
            &format!("{year}-04-01T10:00"),
        )),
    )
    .await;
    let other = other["id"].as_i64().unwrap();
    cxc::moderation::suspend(
        &app.state.db,
        None,
        "Stranger",
        None,
        "",
        app.state.clock.unix(),
    )
    .await
    .unwrap();
    let (_, list) = call(
        &reqwest::Client::new(),
        reqwest::Method::GET,
        app.url("/api/v1/events"),
        None,
    )
    .await;
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&id) && !ids.contains(&other), "{ids:?}");
    let ics = app.get("/events.ics").await.text().await.unwrap();
    assert!(!ics.contains(&format!("UID:event-{other}@")));
}

#[tokio::test]
async fn the_event_form_and_pages_work_without_javascript() {
    let app = TestApp::spawn().await;
    let host = with_profile(&app, "Host", "Africa/Nairobi").await;
    let year = app.state.clock.today().year() + 1;
    let refused = app
        .post_as(
            &host,
            "/events/new",
            &[
                ("title", "Edit-a-thon"),
                ("kind", "edit_a_thon"),
                ("start", "soon"),
                ("timezone", "Africa/Nairobi"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("field-error") && html.contains("value=\"Edit-a-thon\""));
    let start = format!("{year}-03-08T10:00");
    let end = format!("{year}-03-08T16:00");
    let created = app
        .post_as(
            &host,
            "/events/new",
            &[
                ("title", "Women in science edit-a-thon"),
                ("kind", "edit_a_thon"),
                ("start", &start),
                ("end", &end),
                ("timezone", "Africa/Nairobi"),
                ("country", "KE"),
                ("city", "Nairobi"),
                ("capacity", "edit-a-thons"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let list = app.get("/events").await.text().await.unwrap();
    assert!(list.contains(&location));
    let guest = with_profile(&app, "Guest", "Europe/Paris").await;
    let joined = app
        .post_as(
            &guest,
            &format!("{location}/registration"),
            &[("want", "place")],
        )
        .await;
    assert_eq!(joined.status(), 303);
    let page = guest
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("{year}-03-08 08:00")),
        "10:00 in Nairobi is 08:00 in Paris"
    );
    assert!(page.contains("value=\"leave\""));
    assert!(
        !page.contains("/cancel\""),
        "only its organizer sees the cancel button"
    );
    let id: i64 = location.trim_start_matches("/events/").parse().unwrap();
    assert_eq!(
        guest
            .get(app.url(&format!("/events/{id}/edit")))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let form = host
        .get(app.url(&format!("/events/{id}/edit")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("value=\"Women in science edit-a-thon\""),
        "the form holds the event"
    );
    let moved_end = format!("{year}-03-08T17:00");
    let edited = app
        .post_as(
            &host,
            &format!("/events/{id}/edit"),
            &[
                ("title", "Women in science edit-a-thon, day one"),
                ("kind", "edit_a_thon"),
                ("start", &start),
                ("end", &moved_end),
                ("timezone", "Africa/Nairobi"),
                ("country", "KE"),
                ("capacity", "edit-a-thons"),
            ],
        )
        .await;
    assert_eq!(edited.status(), 303);
    let (_, now) = call(
        &guest,
        reqwest::Method::GET,
        app.url(&format!("/api/v1/events/{id}")),
        None,
    )
    .await;
    assert_eq!(now["title"], "Women in science edit-a-thon, day one");
    assert_eq!(now["end"], moved_end);
    assert_eq!(now["registered"], 1, "registrations stay through an edit");
    assert_eq!(
        app.post_as(&guest, &format!("/events/{id}/cancel"), &[])
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post_as(&host, &format!("/events/{id}/cancel"), &[])
            .await
            .status(),
        303
    );
    let (_, cancelled) = call(
        &guest,
        reqwest::Method::GET,
        app.url(&format!("/api/v1/events/{id}")),
        None,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        app.get("/events/new").await.status(),
        303,
        "signing in comes first"
    );
}

#[tokio::test]
async fn events_are_open_data_and_their_texts_run_nothing_in_a_spreadsheet() {
    let app = TestApp::spawn().await;
    let host = with_profile(&app, "Host", "Africa/Nairobi").await;
    let year = app.state.clock.today().year() + 1;
    let mut hostile = clinic(
        &format!("{year}-03-01T10:00"),
        &format!("{year}-03-01T12:00"),
    );
    hostile["title"] = json!("=HYPERLINK(\"http://evil.example\",\"Join\")");
    hostile["online"] = json!(false);
    hostile["country"] = json!("KE");
    hostile["city"] = json!("Nairobi, Kilimani");
    for event in [
        clinic(
            &format!("{year}-02-01T18:00"),
            &format!("{year}-02-01T19:00"),
        ),
        hostile,
    ] {
        let (status, body) = call(
            &host,
            reqwest::Method::POST,
            app.url("/api/v1/events"),
            Some(event),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let response = app.get("/opendata/events.csv").await;
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "a header and two events: {text}");
    assert!(lines[0].starts_with("event_id,title,kind,capacities"));
    let clinic_line = lines.iter().find(|l| l.contains("SPARQL clinic")).unwrap();
    assert!(
        clinic_line.contains(",clinic,wikidata-sparql,sw en,true,,,"),
        "{clinic_line}"
    );
    assert!(clinic_line.contains(&format!(",{year}-02-01T15:00:00Z,")));
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Join\"\")\""),
        "a formula is opened with an apostrophe and quoted: {text}"
    );
    assert!(text.contains(",KE,\"Nairobi, Kilimani\","), "{text}");
    let page = app.get("/opendata").await.text().await.unwrap();
    assert!(page.contains("/opendata/events.csv"));

    let anonymous = reqwest::Client::new();
    for query in ["region=SSA", "country=ke", "region=ssa&capacity=wikidata"] {
        let (status, found) = call(
            &anonymous,
            reqwest::Method::GET,
            app.url(&format!("/api/v1/events?{query}")),
            None,
        )
        .await;
        assert_eq!(status, 200, "{query}: {found}");
        let cities: Vec<&Value> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["city"])
            .collect();
        assert_eq!(cities, [&json!("Nairobi, Kilimani")], "{query}");
    }
    let (_, found) = call(
        &anonymous,
        reqwest::Method::GET,
        app.url("/api/v1/events?region=NA"),
        None,
    )
    .await;
    assert_eq!(
        found["items"],
        json!([]),
        "online events are held in no region"
    );
    for (query, field) in [("country=ZZ", "country"), ("region=Atlantis", "region")] {
        let (status, problem) = call(
            &anonymous,
            reqwest::Method::GET,
            app.url(&format!("/api/v1/events?{query}")),
            None,
        )
        .await;
        assert_eq!(
            (status, &problem["errors"][0]["field"]),
            (422, &json!(field))
        );
    }
    let filtered = app
        .get("/events?region=SSA&online=")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        filtered.contains("<option value=\"SSA\" selected>"),
        "the filter stays chosen"
    );
    assert!(filtered.contains("HYPERLINK") && !filtered.contains("SPARQL clinic<"));
}

/// Reads an iCalendar feed with Python's `icalendar`, as a calendar client would: each
/// event's summary, status, sequence and the local start of every occurrence in `zone`.
fn read_as_a_calendar(python: &str, ics: &str, zone: &str) -> Value {
    let script = r#"
import json, sys
from zoneinfo import ZoneInfo
from icalendar import Calendar
calendar = Calendar.from_ical(sys.stdin.buffer.read())
zone = ZoneInfo(sys.argv[1])
out = []
for event in calendar.walk("VEVENT"):
    starts = [event.decoded("DTSTART")]
    rdates = event.get("RDATE", [])
    for group in rdates if isinstance(rdates, list) else [rdates]:
        starts += [d.dt for d in group.dts]
    length = event.decoded("DTEND") - event.decoded("DTSTART")
    out.append({
        "summary": str(event["SUMMARY"]),
        "status": str(event["STATUS"]),
        "sequence": int(event["SEQUENCE"]),
        "minutes": length.total_seconds() / 60,
        "starts": [s.astimezone(zone).strftime("%Y-%m-%d %H:%M") for s in starts],
    })
print(json.dumps(out))
"#;
    use std::io::Write;
    let mut child = std::process::Command::new(python)
        .args(["-c", script, zone])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run Python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the feed is valid iCalendar");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn a_calendar_reads_the_feed_with_the_local_time_kept_across_a_clock_change() {
    let Ok(python) = std::env::var("CXC_TEST_PYTHON") else {
        eprintln!("SKIPPED: CXC_TEST_PYTHON is not set (scripts/test sets it)");
        return;
    };
    let app = TestApp::spawn().await;
    let host = with_profile(&app, "Host", "Europe/Amsterdam").await;
    // The third Sunday of March and the two weeks after: Europe's clocks go forward on the
    // last Sunday of March, between the first and the last.
    let year = app.state.clock.today().year() + 1;
    let mut event = clinic(
        &format!("{year}-03-20T18:00"),
        &format!("{year}-03-20T19:30"),
    );
    event["timezone"] = json!("Europe/Amsterdam");
    event["occurrences"] = json!(3);
    let (status, created) = call(
        &host,
        reqwest::Method::POST,
        app.url("/api/v1/events"),
        Some(event),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let ics = app.get("/events.ics").await.text().await.unwrap();
    let read = read_as_a_calendar(&python, &ics, "Europe/Amsterdam");
    assert_eq!(
        read[0]["starts"],
        json!([
            format!("{year}-03-20 18:00"),
            format!("{year}-03-27 18:00"),
            format!("{year}-04-03 18:00")
        ]),
        "18:00 in Amsterdam every week, summer time or not: {ics}"
    );
    assert_eq!(read[0]["minutes"], 90.0);
    assert_eq!(read[0]["sequence"], 0);
    assert_eq!(read[0]["status"], "CONFIRMED");
    let in_nairobi = read_as_a_calendar(&python, &ics, "Africa/Nairobi");
    assert_eq!(
        in_nairobi[0]["starts"][0],
        format!("{year}-03-20 20:00"),
        "the same instants, wherever the reader is"
    );

    let cancel = app
        .post_as(&host, &format!("/events/{id}/cancel"), &[])
        .await;
    assert_eq!(cancel.status(), 303);
    let ics = app.get("/events.ics").await.text().await.unwrap();
    let read = read_as_a_calendar(&python, &ics, "Europe/Amsterdam");
    assert_eq!(
        read[0]["status"], "CANCELLED",
        "a cancelled event stays in the feed"
    );
    assert_eq!(read[0]["sequence"], 1, "and its change is counted");
}
