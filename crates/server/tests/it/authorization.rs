//! The authorization matrix. Its routes are not listed by hand: every mutating API route comes
//! from the live OpenAPI document and every form route from the routers' source, and each is
//! tried anonymously, as an unrelated member, as the owner of what it acts on, as the other
//! party, as a manager of the organization it speaks for, as a moderator and as an
//! administrator. Only the allowed succeed; the others are refused (401, 403 or 404, or a form's
//! way to the sign-in page) and nothing any of them can read has changed. A route without a
//! rule here fails the test, and so does a rule for a route that no longer exists.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{TestApp, account, router_routes, session, session_client};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Role {
    Anonymous,
    Member,
    Owner,
    Party,
    Manager,
    Moderator,
    Admin,
}

use Role::*;

const ROLES: [Role; 7] = [Anonymous, Member, Owner, Party, Manager, Moderator, Admin];
const EVERYONE: &[Role] = &ROLES;
const SIGNED_IN: &[Role] = &[Member, Owner, Party, Manager, Moderator, Admin];
/// Who runs what an organization's manager made for it: its maker, the other managers, and
/// administrators.
const RUNNERS: &[Role] = &[Owner, Manager, Admin];
const MODERATORS: &[Role] = &[Moderator, Admin];
const PARTIES: &[Role] = &[Owner, Party];

const PASSWORD: &str = "a long enough password";

/// Where a connection between the owner (who asked) and the party (who was asked) stands.
#[derive(Clone, Copy, Debug)]
enum Stage {
    Requested,
    Accepted,
    Completed,
    /// Completed, and the owner thanked the party.
    Thanked,
}

/// What a case needs before its request; each allowed role gets its own.
#[derive(Clone, Copy, Debug)]
enum Needs {
    Nothing,
    /// A post by the owner for the world's organization.
    Post,
    Connection(Stage),
    /// An event by the owner for the organization.
    Event,
    /// The event, with every signed-in role registered.
    Registered,
    /// A programme by the owner for the organization, open for applications.
    Programme,
    /// The programme, with every signed-in role applied as a mentee.
    Applied,
    /// The programme with a round computed and registration closed.
    Closed,
    /// A cohort by the owner for the organization, the party invited.
    Cohort,
    /// The cohort, the party joined.
    Joined,
    /// A report by the owner about the bystander's profile.
    Report,
    /// A capacity suggested by the owner.
    Suggestion,
    /// A capacity of its own (so that retiring or merging it touches nothing else).
    Capacity,
    /// The world's organization.
    Organization,
    /// The bystander suspended.
    Suspended,
    /// The owner subscribed to e-mail, with an unsubscribe token.
    Subscribed,
}

/// What a prepared case hands to paths and bodies.
#[derive(Clone, Debug, Default)]
struct Case {
    id: i64,
    key: String,
    token: String,
}

enum Body {
    Empty,
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

type MakeBody = fn(&World, &Case, Role) -> Body;

struct Rule {
    method: &'static str,
    path: &'static str,
    needs: Needs,
    allowed: &'static [Role],
    body: MakeBody,
}

impl Rule {
    /// The route as the router and the OpenAPI document name it.
    fn route(&self) -> (String, String) {
        let path = self.path.split('?').next().unwrap();
        (self.method.to_owned(), path.to_owned())
    }
}

fn rule(
    method: &'static str,
    path: &'static str,
    needs: Needs,
    allowed: &'static [Role],
    body: MakeBody,
) -> Rule {
    Rule {
        method,
        path,
        needs,
        allowed,
        body,
    }
}

fn empty(_: &World, _: &Case, _: Role) -> Body {
    Body::Empty
}

fn no_fields(_: &World, _: &Case, _: Role) -> Body {
    Body::Form(Vec::new())
}

fn form(fields: &[(&'static str, &str)]) -> Body {
    Body::Form(fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect())
}

/// Accounts in each of the roles, a bystander whom routes name, and an organization that the
/// owner and the manager manage. Each rule gets a world of its own, so that no rule's writes
/// (a deleted account, a retired capacity) reach another.
struct World {
    prefix: String,
    org: String,
    clients: HashMap<Role, reqwest::Client>,
    names: HashMap<Role, String>,
    ids: HashMap<Role, i64>,
    bystander: String,
    capacities: usize,
    today: time::Date,
}

impl World {
    async fn new(app: &TestApp, n: &str, hash: &str) -> World {
        // Ended by a letter, so that no world's names hold another's ("W1Q" is not in "W12Q").
        let prefix = format!("W{n}Q");
        let mut world = World {
            org: format!("org-{n}-q"),
            bystander: format!("{prefix}Bystander"),
            prefix,
            clients: HashMap::new(),
            names: HashMap::new(),
            ids: HashMap::new(),
            capacities: 0,
            today: app.state.clock.today(),
        };
        world.clients.insert(Anonymous, session_client(None));
        let bystander = world.bystander.clone();
        let id = account(&app.state.db, &bystander, hash, false).await;
        let secret = session(&app.state.db, id, app.state.clock.unix() + 30 * 86_400).await;
        let bystander_client = session_client(Some(&secret));
        profile(app, &bystander_client, &[]).await;
        for role in SIGNED_IN.iter().copied() {
            let name = format!("{}{role:?}", world.prefix);
            let id = account(&app.state.db, &name, hash, role == Admin).await;
            if role == Moderator {
                cxc::db::accounts::set_roles(&app.state.db, id, false, true)
                    .await
                    .unwrap();
            }
            let secret = session(&app.state.db, id, app.state.clock.unix() + 30 * 86_400).await;
            let client = session_client(Some(&secret));
            let offered: &[&str] = if role == Party {
                &["wikidata-sparql"]
            } else {
                &[]
            };
            profile(app, &client, offered).await;
            world.clients.insert(role, client);
            world.names.insert(role, name);
            world.ids.insert(role, id);
        }
        let managers = format!("{}, {}", world.names[&Owner], world.names[&Manager]);
        let (status, _) = world
            .send(
                app,
                Admin,
                Method::POST,
                "/organizations/new",
                form(&[
                    ("key", &world.org),
                    ("name", &format!("Organization {n}")),
                    ("kind", "chapter"),
                    ("managers", &managers),
                ]),
            )
            .await;
        assert_eq!(status.0, 303, "the world's organization is made");
        world
    }

    /// A role's username (for nobody, a name that no account has).
    fn name(&self, role: Role) -> String {
        self.names
            .get(&role)
            .cloned()
            .unwrap_or_else(|| format!("{}{role:?}", self.prefix))
    }

    async fn send(
        &self,
        app: &TestApp,
        role: Role,
        method: Method,
        path: &str,
        body: Body,
    ) -> ((u16, String), Value) {
        let request = self.clients[&role].request(method, app.url(path));
        let request = match body {
            Body::Empty => request.header("content-type", "application/json"),
            Body::Json(v) => request.json(&v),
            Body::Form(fields) => request.form(&fields),
        };
        let response = request.send().await.expect("the request is answered");
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.unwrap_or_default();
        (
            (status, location),
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    /// Sends a JSON request that sets a case up, which must succeed.
    async fn setup(
        &self,
        app: &TestApp,
        role: Role,
        method: Method,
        path: &str,
        body: Value,
    ) -> Value {
        let ((status, _), answer) = self
            .send(app, role, method.clone(), path, Body::Json(body))
            .await;
        assert!(
            (200..300).contains(&status),
            "setting up: {role:?} {method} {path} answered {status}: {answer}"
        );
        answer
    }

    async fn prepare(&mut self, app: &TestApp, needs: Needs) -> Case {
        use Method as M;
        let mut case = Case {
            key: self.bystander.clone(),
            ..Case::default()
        };
        match needs {
            Needs::Nothing => {}
            Needs::Post => {
                let post = self
                    .setup(app, Owner, M::POST, "/api/v1/posts", post_body(self))
                    .await;
                case.id = post["id"].as_i64().unwrap();
            }
            Needs::Connection(stage) => {
                let party = self.name(Party).to_owned();
                let c = self
                    .setup(
                        app,
                        Owner,
                        M::POST,
                        "/api/v1/connections",
                        json!({"to": party, "capacity": "wikidata-sparql", "message": "Could you show me SPARQL?"}),
                    )
                    .await;
                case.id = c["id"].as_i64().unwrap();
                let base = format!("/api/v1/connections/{}", case.id);
                if !matches!(stage, Stage::Requested) {
                    self.setup(
                        app,
                        Party,
                        M::POST,
                        &format!("{base}/answer"),
                        json!({"action": "accept"}),
                    )
                    .await;
                }
                if matches!(stage, Stage::Completed | Stage::Thanked) {
                    for role in PARTIES {
                        self.setup(
                            app,
                            *role,
                            M::POST,
                            &format!("{base}/complete"),
                            Value::Null,
                        )
                        .await;
                    }
                }
                if matches!(stage, Stage::Thanked) {
                    self.setup(
                        app,
                        Owner,
                        M::POST,
                        &format!("{base}/thanks"),
                        json!({"body": "Thank you!", "public": true}),
                    )
                    .await;
                }
            }
            Needs::Event | Needs::Registered => {
                let event = self
                    .setup(app, Owner, M::POST, "/api/v1/events", event_body(self))
                    .await;
                case.id = event["id"].as_i64().unwrap();
                if matches!(needs, Needs::Registered) {
                    for role in SIGNED_IN {
                        self.setup(
                            app,
                            *role,
                            M::PUT,
                            &format!("/api/v1/events/{}/registration", case.id),
                            json!({}),
                        )
                        .await;
                    }
                }
            }
            Needs::Programme | Needs::Applied | Needs::Closed => {
                let programme = self
                    .setup(
                        app,
                        Owner,
                        M::POST,
                        "/api/v1/programmes",
                        programme_body(self),
                    )
                    .await;
                case.id = programme["id"].as_i64().unwrap();
                let base = format!("/api/v1/programmes/{}", case.id);
                if matches!(needs, Needs::Applied) {
                    for role in SIGNED_IN {
                        self.setup(
                            app,
                            *role,
                            M::POST,
                            &format!("{base}/applications"),
                            json!({"role": "mentee", "answers": ["A query a day"]}),
                        )
                        .await;
                    }
                }
                if matches!(needs, Needs::Closed) {
                    self.setup(app, Owner, M::POST, &format!("{base}/rounds"), json!({}))
                        .await;
                    self.setup(app, Owner, M::POST, &format!("{base}/close"), Value::Null)
                        .await;
                }
            }
            Needs::Cohort | Needs::Joined => {
                let cohort = self
                    .setup(app, Owner, M::POST, "/api/v1/cohorts", cohort_body(self))
                    .await;
                case.id = cohort["id"].as_i64().unwrap();
                if matches!(needs, Needs::Joined) {
                    self.setup(
                        app,
                        Party,
                        M::POST,
                        &format!("/api/v1/cohorts/{}/answer", case.id),
                        json!({"action": "accept"}),
                    )
                    .await;
                }
            }
            Needs::Report => {
                let report = self
                    .setup(
                        app,
                        Owner,
                        M::POST,
                        "/api/v1/reports",
                        json!({"target": "profile", "id": self.bystander, "reason": "spam"}),
                    )
                    .await;
                case.id = report["id"].as_i64().unwrap();
            }
            Needs::Suggestion => {
                self.capacities += 1;
                let label = format!("{} idea {}", self.prefix, self.capacities);
                let ((status, _), _) = self
                    .send(
                        app,
                        Owner,
                        M::POST,
                        "/capacities/suggest",
                        form(&[("label", &label), ("description", ""), ("parent", "")]),
                    )
                    .await;
                assert_eq!(status, 303, "the owner suggests a capacity");
                case.id = cxc::db::catalog::pending_suggestions(app.state.db.pool())
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|s| s.label == label)
                    .expect("the suggestion waits")
                    .id;
            }
            Needs::Capacity => {
                self.capacities += 1;
                case.key = format!("{}-skill-{}", self.org, self.capacities);
                let label = format!("Skill {} of {}", self.capacities, self.prefix);
                let ((status, location), _) = self
                    .send(
                        app,
                        Admin,
                        M::POST,
                        "/admin/capacities",
                        form(&[
                            ("key", &case.key),
                            ("parent", "wikidata"),
                            ("label_en", &label),
                            ("description_en", ""),
                            ("qid", ""),
                        ]),
                    )
                    .await;
                assert_eq!((status, location.as_str()), (303, "/admin/capacities"));
            }
            Needs::Organization => case.key = self.org.clone(),
            Needs::Suspended => {
                self.setup(
                    app,
                    Moderator,
                    M::PUT,
                    &format!("/api/v1/admin/accounts/{}/suspension", self.bystander),
                    json!({"note": "Spam"}),
                )
                .await;
            }
            Needs::Subscribed => {
                self.setup(
                    app,
                    Owner,
                    M::PUT,
                    "/api/v1/me/email",
                    json!({"address": format!("{}@example.org", self.prefix), "mode": "each"}),
                )
                .await;
                case.token = cxc::db::mail::settings(app.state.db.pool(), self.ids[&Owner])
                    .await
                    .unwrap()
                    .unsubscribe_token
                    .expect("an unsubscribe token");
            }
        }
        case
    }

    /// Everything the roles can read that a request of this case could have changed: all
    /// they hold (their exports), the case's own things, and this world's part of the lists
    /// that other worlds write to at the same time.
    async fn fingerprint(&self, app: &TestApp, needs: Needs, case: &Case) -> Vec<(String, Value)> {
        let mut reads: Vec<(Role, String)> = [
            "/api/v1/events",
            "/api/v1/programmes",
            "/api/v1/capacities",
            "/api/v1/organizations",
            "/api/v1/admin/reports",
            "/api/v1/admin/audit",
        ]
        .iter()
        .map(|p| (Admin, (*p).to_owned()))
        .collect();
        reads.push((Admin, format!("/api/v1/profiles/{}", self.bystander)));
        for role in SIGNED_IN {
            reads.push((*role, "/api/v1/me/export".to_owned()));
        }
        let id = case.id;
        let own = match needs {
            Needs::Post => vec![format!("/api/v1/posts/{id}")],
            Needs::Connection(_) => vec![
                format!("/api/v1/connections/{id}"),
                format!("/api/v1/connections/{id}/messages"),
            ],
            Needs::Event | Needs::Registered => vec![format!("/api/v1/events/{id}")],
            Needs::Programme | Needs::Applied | Needs::Closed => {
                vec![format!("/api/v1/programmes/{id}")]
            }
            Needs::Cohort | Needs::Joined => vec![
                format!("/api/v1/cohorts/{id}"),
                format!("/api/v1/cohorts/{id}/messages"),
            ],
            Needs::Organization => vec![format!("/api/v1/organizations/{}", case.key)],
            _ => Vec::new(),
        };
        reads.extend(own.into_iter().map(|p| (Owner, p)));
        let mut seen = Vec::new();
        for (role, path) in reads {
            let ((status, _), body) = self.send(app, role, Method::GET, &path, Body::Empty).await;
            seen.push((format!("{role:?} GET {path} {status}"), self.mine(body)));
        }
        seen
    }

    /// A read with only this world's items in its lists, and without notifications' read
    /// marks (a refused form shows its page again, and seeing a page marks its notifications
    /// read).
    fn mine(&self, mut read: Value) -> Value {
        let ours = |item: &Value| {
            let text = item.to_string();
            text.contains(&self.prefix) || text.contains(&self.org)
        };
        match &mut read {
            Value::Array(items) => items.retain(ours),
            Value::Object(fields) => {
                if let Some(Value::Array(items)) = fields.get_mut("items") {
                    items.retain(ours);
                }
                if let Some(Value::Array(notifications)) = fields.get_mut("notifications") {
                    // Other worlds' events are suggested to this world's people at any time.
                    notifications.retain(|n| n["kind"] != "event_suggested");
                    for n in notifications.iter_mut().filter_map(Value::as_object_mut) {
                        n.remove("read");
                    }
                }
            }
            _ => {}
        }
        read
    }
}

async fn profile(app: &TestApp, client: &reqwest::Client, offered: &[&str]) {
    let response = client
        .put(app.url("/api/v1/me/profile"))
        .json(&json!({
            "display_name": "Someone",
            "country": "KE",
            "known": offered,
            "offered": offered,
            "wanted": if offered.is_empty() { json!(["wikidata-sparql"]) } else { json!([]) },
            "languages": [{"code": "en", "level": 4}],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "a profile is saved");
}

fn post_body(world: &World) -> Value {
    json!({"kind": "ask", "title": "Help with SPARQL", "capacities": ["wikidata-sparql"], "organization": world.org})
}

fn event_body(world: &World) -> Value {
    let year = world.today.year() + 1;
    json!({
        "title": "SPARQL clinic",
        "kind": "clinic",
        "capacities": ["wikidata-sparql"],
        "languages": ["en"],
        "online": true,
        "start": format!("{year}-01-14T18:00"),
        "end": format!("{year}-01-14T19:30"),
        "timezone": "Africa/Nairobi",
        "organization": world.org,
    })
}

fn programme_body(world: &World) -> Value {
    let today = world.today;
    json!({
        "name": "SPARQL mentors",
        "capacities": ["wikidata-sparql"],
        "languages": ["en"],
        "registration_opens": today.to_string(),
        "registration_closes": (today + time::Duration::days(10)).to_string(),
        "mentee_questions": ["What do you want to build?"],
        "organization": world.org,
    })
}

fn cohort_body(world: &World) -> Value {
    json!({
        "name": "SPARQL circle",
        "capacity": "wikidata-sparql",
        "language": "en",
        "organization": world.org,
        "members": [world.name(Party)],
    })
}

/// The rules: who may use each mutating route, on what, with which request.
fn rules() -> Vec<Rule> {
    use Needs as N;
    vec![
        // Moderation.
        rule(
            "DELETE",
            "/api/v1/admin/accounts/{username}/suspension",
            N::Suspended,
            MODERATORS,
            empty,
        ),
        rule(
            "PUT",
            "/api/v1/admin/accounts/{username}/suspension",
            N::Nothing,
            MODERATORS,
            |_, _, _| Body::Json(json!({"note": "Spam"})),
        ),
        rule(
            "POST",
            "/admin/accounts/{username}/suspension",
            N::Nothing,
            MODERATORS,
            |_, _, _| form(&[("until", ""), ("note", "Spam")]),
        ),
        rule(
            "POST",
            "/api/v1/admin/reports/{id}",
            N::Report,
            MODERATORS,
            |_, _, _| Body::Json(json!({"action": "dismiss"})),
        ),
        rule(
            "POST",
            "/admin/reports/{id}",
            N::Report,
            MODERATORS,
            |_, _, _| form(&[("action", "dismiss"), ("note", "")]),
        ),
        rule(
            "POST",
            "/api/v1/reports",
            N::Nothing,
            SIGNED_IN,
            |w, _, _| Body::Json(json!({"target": "profile", "id": w.bystander, "reason": "spam"})),
        ),
        rule("POST", "/report", N::Nothing, SIGNED_IN, |w, _, _| {
            form(&[
                ("target", "profile"),
                ("id", &w.bystander),
                ("reason", "spam"),
                ("details", ""),
            ])
        }),
        // Cohorts.
        rule("POST", "/api/v1/cohorts", N::Nothing, RUNNERS, |w, _, _| {
            Body::Json(cohort_body(w))
        }),
        rule("POST", "/cohorts/new", N::Nothing, RUNNERS, |w, _, _| {
            form(&[
                ("name", "SPARQL circle"),
                ("description", ""),
                ("capacity", "wikidata-sparql"),
                ("language", "en"),
                ("organization", &w.org),
                ("members", &w.name(Party)),
            ])
        }),
        rule(
            "PATCH",
            "/api/v1/cohorts/{id}",
            N::Cohort,
            RUNNERS,
            |_, _, _| Body::Json(json!({"status": "active"})),
        ),
        rule(
            "POST",
            "/cohorts/{id}/status",
            N::Cohort,
            RUNNERS,
            |_, _, _| form(&[("status", "active")]),
        ),
        rule(
            "POST",
            "/api/v1/cohorts/{id}/answer",
            N::Cohort,
            &[Party],
            |_, _, _| Body::Json(json!({"action": "accept"})),
        ),
        rule(
            "POST",
            "/cohorts/{id}/answer",
            N::Cohort,
            &[Party],
            |_, _, _| form(&[("action", "accept")]),
        ),
        rule(
            "POST",
            "/api/v1/cohorts/{id}/invitations",
            N::Cohort,
            RUNNERS,
            |w, _, _| Body::Json(json!({"members": [w.bystander]})),
        ),
        rule(
            "POST",
            "/cohorts/{id}/invitations",
            N::Cohort,
            RUNNERS,
            |w, _, _| form(&[("members", &w.bystander)]),
        ),
        rule(
            "POST",
            "/api/v1/cohorts/{id}/messages",
            N::Joined,
            &[Owner, Party, Manager, Admin],
            |_, _, _| Body::Json(json!({"body": "Hello, circle"})),
        ),
        rule(
            "POST",
            "/cohorts/{id}/messages",
            N::Joined,
            &[Owner, Party, Manager, Admin],
            |_, _, _| form(&[("body", "Hello, circle")]),
        ),
        // Connections.
        rule(
            "POST",
            "/api/v1/connections",
            N::Nothing,
            SIGNED_IN,
            |w, _, _| Body::Json(json!({"to": w.bystander, "message": "Could we talk?"})),
        ),
        rule(
            "POST",
            "/connections/new",
            N::Nothing,
            SIGNED_IN,
            |w, _, _| form(&[("to", &w.bystander), ("message", "Could we talk?")]),
        ),
        rule(
            "POST",
            "/api/v1/connections/{id}/answer",
            N::Connection(Stage::Requested),
            &[Party],
            |_, _, _| Body::Json(json!({"action": "accept"})),
        ),
        rule(
            "POST",
            "/connections/{id}/answer",
            N::Connection(Stage::Requested),
            &[Party],
            |_, _, _| form(&[("action", "accept")]),
        ),
        rule(
            "POST",
            "/api/v1/connections/{id}/complete",
            N::Connection(Stage::Accepted),
            PARTIES,
            empty,
        ),
        rule(
            "POST",
            "/connections/{id}/complete",
            N::Connection(Stage::Accepted),
            PARTIES,
            no_fields,
        ),
        rule(
            "POST",
            "/api/v1/connections/{id}/withdraw",
            N::Connection(Stage::Requested),
            &[Owner],
            empty,
        ),
        rule(
            "POST",
            "/connections/{id}/withdraw",
            N::Connection(Stage::Requested),
            &[Owner],
            no_fields,
        ),
        rule(
            "POST",
            "/api/v1/connections/{id}/messages",
            N::Connection(Stage::Accepted),
            PARTIES,
            |_, _, _| Body::Json(json!({"body": "See you on Thursday"})),
        ),
        rule(
            "POST",
            "/connections/{id}/messages",
            N::Connection(Stage::Accepted),
            PARTIES,
            |_, _, _| form(&[("body", "See you on Thursday")]),
        ),
        rule(
            "POST",
            "/api/v1/connections/{id}/thanks",
            N::Connection(Stage::Completed),
            PARTIES,
            |_, _, _| Body::Json(json!({"body": "Thank you!", "public": true})),
        ),
        rule(
            "POST",
            "/connections/{id}/thanks",
            N::Connection(Stage::Completed),
            PARTIES,
            |_, _, _| form(&[("body", "Thank you!"), ("public", "1")]),
        ),
        rule(
            "POST",
            "/api/v1/connections/{id}/thanks/shown",
            N::Connection(Stage::Thanked),
            &[Party],
            |_, _, _| Body::Json(json!({"shown": true})),
        ),
        rule(
            "POST",
            "/connections/{id}/thanks/shown",
            N::Connection(Stage::Thanked),
            &[Party],
            |_, _, _| form(&[("shown", "1")]),
        ),
        // Events.
        rule("POST", "/api/v1/events", N::Nothing, RUNNERS, |w, _, _| {
            Body::Json(event_body(w))
        }),
        rule("POST", "/events/new", N::Nothing, SIGNED_IN, |_, _, _| {
            form(&[
                ("title", "SPARQL clinic"),
                ("description", ""),
                ("kind", "clinic"),
                ("capacity", "wikidata-sparql"),
                ("language", "en"),
                ("online", "1"),
                ("start", "2099-01-14T18:00"),
                ("end", "2099-01-14T19:30"),
                ("timezone", "Africa/Nairobi"),
            ])
        }),
        rule(
            "PATCH",
            "/api/v1/events/{id}",
            N::Event,
            RUNNERS,
            |w, _, _| {
                let mut body = event_body(w);
                body["title"] = json!("SPARQL clinic, moved");
                Body::Json(body)
            },
        ),
        rule("POST", "/events/{id}/edit", N::Event, RUNNERS, |_, _, _| {
            form(&[
                ("title", "SPARQL clinic, moved"),
                ("description", ""),
                ("kind", "clinic"),
                ("capacity", "wikidata-sparql"),
                ("language", "en"),
                ("online", "1"),
                ("start", "2099-01-14T18:00"),
                ("end", "2099-01-14T19:30"),
                ("timezone", "Africa/Nairobi"),
            ])
        }),
        rule("POST", "/events/{id}/cancel", N::Event, RUNNERS, no_fields),
        rule(
            "PUT",
            "/api/v1/events/{id}/registration",
            N::Event,
            SIGNED_IN,
            |_, _, _| Body::Json(json!({})),
        ),
        rule(
            "DELETE",
            "/api/v1/events/{id}/registration",
            N::Registered,
            SIGNED_IN,
            empty,
        ),
        rule(
            "POST",
            "/events/{id}/registration",
            N::Event,
            SIGNED_IN,
            no_fields,
        ),
        // The caller's own account and things.
        rule("DELETE", "/api/v1/me", N::Nothing, SIGNED_IN, empty),
        rule(
            "POST",
            "/account/delete",
            N::Nothing,
            SIGNED_IN,
            |w, _, role| form(&[("confirm", &w.name(role))]),
        ),
        rule(
            "PUT",
            "/api/v1/me/blocks/{username}",
            N::Nothing,
            SIGNED_IN,
            empty,
        ),
        rule(
            "DELETE",
            "/api/v1/me/blocks/{username}",
            N::Nothing,
            SIGNED_IN,
            empty,
        ),
        rule(
            "POST",
            "/people/{username}/block",
            N::Nothing,
            SIGNED_IN,
            no_fields,
        ),
        rule(
            "PUT",
            "/api/v1/me/email",
            N::Nothing,
            SIGNED_IN,
            |w, _, role| {
                Body::Json(
                    json!({"address": format!("{}@example.org", w.name(role)), "mode": "each"}),
                )
            },
        ),
        rule(
            "POST",
            "/account/email",
            N::Nothing,
            SIGNED_IN,
            |w, _, role| {
                form(&[
                    ("address", &format!("{}@example.org", w.name(role))),
                    ("mode", "each"),
                ])
            },
        ),
        rule(
            "POST",
            "/api/v1/unsubscribe?token={token}",
            N::Subscribed,
            EVERYONE,
            empty,
        ),
        rule(
            "POST",
            "/unsubscribe",
            N::Subscribed,
            EVERYONE,
            |_, c, _| form(&[("token", &c.token)]),
        ),
        rule(
            "POST",
            "/api/v1/me/notifications/read",
            N::Nothing,
            SIGNED_IN,
            empty,
        ),
        rule(
            "POST",
            "/notifications/read",
            N::Nothing,
            SIGNED_IN,
            no_fields,
        ),
        rule(
            "PUT",
            "/api/v1/me/profile",
            N::Nothing,
            SIGNED_IN,
            |_, _, _| Body::Json(json!({"display_name": "Someone else"})),
        ),
        rule("POST", "/profile/edit", N::Nothing, SIGNED_IN, |_, _, _| {
            form(&[("display_name", "Someone else")])
        }),
        rule(
            "PUT",
            "/api/v1/me/saved/{kind}/{key}",
            N::Nothing,
            SIGNED_IN,
            empty,
        ),
        rule(
            "DELETE",
            "/api/v1/me/saved/{kind}/{key}",
            N::Nothing,
            SIGNED_IN,
            empty,
        ),
        rule(
            "POST",
            "/saved/{kind}/{key}",
            N::Nothing,
            SIGNED_IN,
            |_, _, _| form(&[("action", "save")]),
        ),
        // Signing in and out.
        rule("POST", "/login", N::Nothing, EVERYONE, |w, _, role| {
            let name = if role == Anonymous {
                w.bystander.clone()
            } else {
                w.name(role)
            };
            form(&[("username", &name), ("password", PASSWORD)])
        }),
        rule("POST", "/logout", N::Nothing, EVERYONE, no_fields),
        rule("POST", "/signup", N::Nothing, EVERYONE, |w, _, role| {
            form(&[
                ("username", &format!("{}New{role:?}", w.prefix)),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ])
        }),
        rule(
            "POST",
            "/account/password",
            N::Nothing,
            SIGNED_IN,
            |_, _, _| {
                form(&[
                    ("current_password", PASSWORD),
                    ("password", "another long enough password"),
                    ("password_confirm", "another long enough password"),
                ])
            },
        ),
        // Organizations.
        rule(
            "POST",
            "/organizations/new",
            N::Nothing,
            &[Admin],
            |w, _, _| {
                form(&[
                    ("key", &format!("{}-new", w.org)),
                    ("name", "A new organization"),
                    ("kind", "chapter"),
                    ("managers", ""),
                ])
            },
        ),
        rule(
            "POST",
            "/organizations/{key}/edit",
            N::Organization,
            RUNNERS,
            |w, _, _| {
                form(&[
                    ("key", &w.org),
                    ("name", "Organization, renamed"),
                    ("kind", "chapter"),
                    (
                        "managers",
                        &format!("{}, {}", w.name(Owner), w.name(Manager)),
                    ),
                ])
            },
        ),
        // Posts.
        rule("POST", "/api/v1/posts", N::Nothing, RUNNERS, |w, _, _| {
            Body::Json(post_body(w))
        }),
        rule("POST", "/posts/new", N::Nothing, RUNNERS, |w, _, _| {
            form(&[
                ("kind", "ask"),
                ("title", "Help with SPARQL"),
                ("body", ""),
                ("capacity", "wikidata-sparql"),
                ("organization", &w.org),
                ("country", ""),
                ("expires_at", ""),
            ])
        }),
        rule(
            "PATCH",
            "/api/v1/posts/{id}",
            N::Post,
            RUNNERS,
            |_, _, _| Body::Json(json!({"title": "Help with SPARQL, please"})),
        ),
        rule("POST", "/posts/{id}/edit", N::Post, RUNNERS, |w, _, _| {
            form(&[
                ("kind", "ask"),
                ("title", "Help with SPARQL, please"),
                ("body", ""),
                ("capacity", "wikidata-sparql"),
                ("organization", &w.org),
                ("country", ""),
                ("expires_at", ""),
            ])
        }),
        rule("POST", "/posts/{id}/status", N::Post, RUNNERS, |_, _, _| {
            form(&[("action", "close")])
        }),
        // Programmes.
        rule(
            "POST",
            "/api/v1/programmes",
            N::Nothing,
            RUNNERS,
            |w, _, _| Body::Json(programme_body(w)),
        ),
        rule("POST", "/programmes/new", N::Nothing, RUNNERS, |w, _, _| {
            let body = programme_body(w);
            form(&[
                ("name", "SPARQL mentors"),
                ("description", ""),
                ("capacity", "wikidata-sparql"),
                ("language", "en"),
                ("region", ""),
                (
                    "registration_opens",
                    body["registration_opens"].as_str().unwrap(),
                ),
                (
                    "registration_closes",
                    body["registration_closes"].as_str().unwrap(),
                ),
                ("mentor_questions", ""),
                ("mentee_questions", "What do you want to build?"),
                ("mentor_limit", ""),
                ("organization", &w.org),
            ])
        }),
        rule(
            "POST",
            "/api/v1/programmes/{id}/applications",
            N::Programme,
            SIGNED_IN,
            |_, _, _| Body::Json(json!({"role": "mentee", "answers": ["A query a day"]})),
        ),
        rule(
            "POST",
            "/programmes/{id}/apply",
            N::Programme,
            SIGNED_IN,
            |_, _, _| {
                form(&[
                    ("role", "mentee"),
                    ("answer", "A query a day"),
                    ("slots", ""),
                ])
            },
        ),
        rule(
            "DELETE",
            "/api/v1/programmes/{id}/applications",
            N::Applied,
            SIGNED_IN,
            empty,
        ),
        rule(
            "POST",
            "/programmes/{id}/withdraw",
            N::Applied,
            SIGNED_IN,
            no_fields,
        ),
        rule(
            "POST",
            "/api/v1/programmes/{id}/rounds",
            N::Programme,
            RUNNERS,
            |_, _, _| Body::Json(json!({})),
        ),
        rule(
            "POST",
            "/programmes/{id}/round",
            N::Programme,
            RUNNERS,
            |_, _, _| form(&[("mode", "best_total"), ("pinned", ""), ("forbidden", "")]),
        ),
        rule(
            "POST",
            "/api/v1/programmes/{id}/close",
            N::Programme,
            RUNNERS,
            empty,
        ),
        rule(
            "POST",
            "/programmes/{id}/close",
            N::Programme,
            RUNNERS,
            no_fields,
        ),
        rule(
            "POST",
            "/api/v1/programmes/{id}/publish",
            N::Closed,
            RUNNERS,
            empty,
        ),
        rule(
            "POST",
            "/programmes/{id}/publish",
            N::Closed,
            RUNNERS,
            no_fields,
        ),
        // The taxonomy.
        rule(
            "POST",
            "/capacities/suggest",
            N::Nothing,
            SIGNED_IN,
            |w, _, role| {
                form(&[
                    ("label", &format!("{} {role:?}'s idea", w.prefix)),
                    ("description", ""),
                    ("parent", ""),
                ])
            },
        ),
        rule(
            "POST",
            "/admin/capacities",
            N::Nothing,
            &[Admin],
            |w, _, _| {
                form(&[
                    ("key", &format!("{}-added", w.org)),
                    ("parent", "wikidata"),
                    ("label_en", &format!("Added by {}", w.prefix)),
                    ("description_en", ""),
                    ("qid", ""),
                ])
            },
        ),
        rule(
            "POST",
            "/admin/capacities/{key}",
            N::Capacity,
            &[Admin],
            |w, c, _| {
                form(&[
                    ("parent", "wikidata"),
                    ("label_en", &format!("{} renamed in {}", c.key, w.prefix)),
                    ("description_en", ""),
                    ("qid", ""),
                ])
            },
        ),
        rule(
            "POST",
            "/admin/capacities/{key}/retire",
            N::Capacity,
            &[Admin],
            no_fields,
        ),
        rule(
            "POST",
            "/admin/capacities/{key}/merge",
            N::Capacity,
            &[Admin],
            |_, _, _| form(&[("into", "wikidata-sparql")]),
        ),
        rule(
            "POST",
            "/admin/suggestions/{id}/accept",
            N::Suggestion,
            &[Admin],
            |w, c, _| {
                form(&[
                    ("key", &format!("{}-idea-{}", w.org, c.id)),
                    ("parent", "wikidata"),
                    ("label_en", ""),
                    ("description_en", ""),
                ])
            },
        ),
        rule(
            "POST",
            "/admin/suggestions/{id}/reject",
            N::Suggestion,
            &[Admin],
            no_fields,
        ),
    ]
}

/// The mutating routes the server has: from the OpenAPI document, and from the `.route(…)`
/// calls in the routers' source (a method router that posts, puts, patches or deletes), each
/// with the statuses the document promises (none for forms).
async fn mutating_routes(app: &TestApp) -> BTreeMap<(String, String), Vec<u16>> {
    let document = app.openapi().await;
    let mut routes = BTreeMap::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            if ["post", "put", "patch", "delete"].contains(&method.as_str()) {
                let statuses = operation["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(|code| code.parse().unwrap())
                    .collect();
                routes.insert((method.to_uppercase(), path.clone()), statuses);
            }
        }
    }
    for (file, path, methods) in router_routes() {
        for method in methods.into_iter().filter(|m| *m != "GET") {
            let route = (method.to_owned(), path.clone());
            assert!(
                !path.starts_with("/api/") || routes.contains_key(&route),
                "{method} {path} in {file} is missing from the OpenAPI document"
            );
            routes.entry(route).or_default();
        }
    }
    routes
}

/// Where two JSON documents first differ, and how.
fn difference(at: &str, was: &Value, is: &Value) -> Option<String> {
    match (was, is) {
        (Value::Object(a), Value::Object(b)) if a.len() == b.len() => {
            a.iter().find_map(|(k, v)| {
                difference(&format!("{at}.{k}"), v, b.get(k).unwrap_or(&Value::Null))
            })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (v, w))| difference(&format!("{at}[{i}]"), v, w)),
        _ if was == is => None,
        _ => Some(format!("{at}: {was} became {is}")),
    }
}

fn fill(path: &str, world: &World, case: &Case) -> String {
    path.replace("{id}", &case.id.to_string())
        .replace("{username}", &world.bystander)
        .replace("{kind}", "person")
        .replace("{key}", &case.key)
        .replace("{token}", &case.token)
}

/// A refusal: a problem (401 for nobody, 403 or 404 for someone), or a form's way to the
/// sign-in page. The two sides of a connection see it, so one acting in the other's place
/// (answering one's own request) is told what stands in the way: a conflict with where the
/// connection stands.
fn refused(role: Role, needs: Needs, status: u16, location: &str) -> bool {
    match role {
        Anonymous => status == 401 || (status == 303 && location.starts_with("/login")),
        Owner | Party if matches!(needs, Needs::Connection(_)) => [403, 404, 409].contains(&status),
        _ => status == 403 || status == 404,
    }
}

/// Done: a 2xx answer, or a form's redirect anywhere but the sign-in page.
fn succeeded(status: u16, location: &str) -> bool {
    (200..300).contains(&status) || (status == 303 && !location.starts_with("/login"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_allowed_may_use_each_mutating_route() {
    // E-mail settings are refused on a site that sends no mail; delivery itself is the mail
    // tests' job, so nothing needs to listen at the address.
    let app = TestApp::spawn_with(|c| {
        c.smtp_url = Some("smtp://127.0.0.1:9".into());
        c.mail_from = Some("Capacity Exchange <cxc@example.org>".into());
    })
    .await;
    let hash = cxc::auth::hash_password(PASSWORD.to_owned()).await.unwrap();
    let rules = rules();
    let routes = mutating_routes(&app).await;
    let ruled: BTreeSet<(String, String)> = rules.iter().map(Rule::route).collect();
    let known: BTreeSet<(String, String)> = routes.keys().cloned().collect();
    let unruled: Vec<_> = known.difference(&ruled).collect();
    assert!(
        unruled.is_empty(),
        "routes without a rule in the authorization matrix: {unruled:?}"
    );
    let gone: Vec<_> = ruled.difference(&known).collect();
    assert!(
        gone.is_empty(),
        "rules for routes that do not exist: {gone:?}"
    );
    assert_eq!(ruled.len(), rules.len(), "one rule per route");

    // Four lanes at once: the matrix is long, and most of it is waiting on the database.
    let app = Arc::new(app);
    let hash = Arc::new(hash);
    let rules = Arc::new(rules);
    let routes = Arc::new(routes);
    let mut lanes = tokio::task::JoinSet::new();
    for lane in 0..LANES {
        let (app, hash, rules, routes) = (app.clone(), hash.clone(), rules.clone(), routes.clone());
        lanes.spawn(async move {
            let mut wrong = Vec::new();
            for n in (lane..rules.len()).step_by(LANES) {
                let rule = &rules[n];
                wrong.extend(check(&app, &hash, n, rule, &routes[&rule.route()]).await);
            }
            wrong
        });
    }
    let mut wrong = Vec::new();
    while let Some(found) = lanes.join_next().await {
        wrong.extend(found.expect("a lane of the matrix"));
    }
    assert!(
        wrong.is_empty(),
        "{} cases of the matrix went wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

const LANES: usize = 4;

/// Tries one rule: every refused role on one case (after which what they can read is
/// unchanged), then every allowed role on a case of its own; an API route answers only with
/// statuses its document promises. Says what went wrong.
async fn check(app: &TestApp, hash: &str, n: usize, r: &Rule, documented: &[u16]) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut world = World::new(app, &n.to_string(), hash).await;
    let method = Method::from_bytes(r.method.as_bytes()).unwrap();
    let first = world.prepare(app, r.needs).await;
    let before = world.fingerprint(app, r.needs, &first).await;
    for role in ROLES.iter().filter(|role| !r.allowed.contains(role)) {
        let path = fill(r.path, &world, &first);
        let body = (r.body)(&world, &first, *role);
        let ((status, location), answer) =
            world.send(app, *role, method.clone(), &path, body).await;
        if !documented.is_empty() && !documented.contains(&status) {
            wrong.push(format!(
                "{role:?} {} {}: {status} is not documented",
                r.method, r.path
            ));
        }
        if !refused(*role, r.needs, status, &location) {
            wrong.push(format!(
                "{role:?} {} {}: {status} {location} {answer}, expected a refusal",
                r.method, r.path
            ));
        }
    }
    let after = world.fingerprint(app, r.needs, &first).await;
    for ((read, was), (_, is)) in before.iter().zip(&after) {
        if let Some(change) = difference("", was, is) {
            wrong.push(format!(
                "{} {}: refusals changed {read}: {change}",
                r.method, r.path
            ));
        }
    }
    let mut unused = Some(first);
    for (k, role) in r.allowed.iter().enumerate() {
        // Two people have one connection at a time: another needs another world.
        if k > 0 && matches!(r.needs, Needs::Connection(_)) {
            world = World::new(app, &format!("{n}x{k}"), hash).await;
        }
        let case = match unused.take() {
            Some(c) => c,
            None => world.prepare(app, r.needs).await,
        };
        let path = fill(r.path, &world, &case);
        let body = (r.body)(&world, &case, *role);
        let ((status, location), answer) =
            world.send(app, *role, method.clone(), &path, body).await;
        if !documented.is_empty() && !documented.contains(&status) {
            wrong.push(format!(
                "{role:?} {} {}: {status} is not documented",
                r.method, r.path
            ));
        }
        if !succeeded(status, &location) {
            wrong.push(format!(
                "{role:?} {} {}: {status} {location} {answer}, expected success",
                r.method, r.path
            ));
        }
    }
    wrong
}
