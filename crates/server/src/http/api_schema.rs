//! Schemas the OpenAPI derive cannot express: values that are one of several shapes, as the
//! server accepts and answers them.

use cxc_core::connection::ConnectionStatus;
use cxc_core::post::{PostKind, PostStatus};
use cxc_core::{Format, Method, Visibility};
use utoipa::openapi::schema::{
    ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

fn of_type(kind: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::Type(kind))
}

/// A language level: a Babel level, an integer from 0 to 5, or `"native"`.
pub fn language_level() -> impl Into<RefOr<Schema>> {
    OneOfBuilder::new()
        .item(of_type(Type::Integer).minimum(Some(0)).maximum(Some(5)))
        .item(of_type(Type::String).enum_values(Some(["native"])))
        .description(Some("A Babel level from 0 to 5, or \"native\"."))
}

fn capacity_reference() -> OneOfBuilder {
    let codes = |words: &[&str], description: &str| {
        ArrayBuilder::new()
            .items(one_of_words(words))
            .description(Some(description))
    };
    OneOfBuilder::new()
        .item(of_type(Type::String).description(Some("A capacity id.")))
        .item(
            of_type(Type::Object)
                .property(
                    "capacity",
                    of_type(Type::String).description(Some("A capacity id.")),
                )
                .required("capacity")
                .property(
                    "level",
                    of_type(Type::Integer)
                        .minimum(Some(1))
                        .maximum(Some(5))
                        .description(Some("How well it is known, for `known`.")),
                )
                .property(
                    "methods",
                    codes(
                        &Method::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                        "Ways of learning or teaching it, such as `mentoring`.",
                    ),
                )
                .property(
                    "formats",
                    codes(
                        &Format::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
                        "`online`, `in_person`.",
                    ),
                ),
        )
}

/// A list of capacities as a profile or organization submits it: ids, or objects with details.
pub fn capacity_references() -> impl Into<RefOr<Schema>> {
    ArrayBuilder::new().items(capacity_reference())
}

fn one_of_words(words: &[&str]) -> ObjectBuilder {
    of_type(Type::String).enum_values(Some(words.iter().copied()))
}

/// The map's level: `country` or `region`.
pub fn map_level() -> impl Into<RefOr<Schema>> {
    one_of_words(&["country", "region"])
}

/// Which figure colours the map.
pub fn map_mode() -> impl Into<RefOr<Schema>> {
    one_of_words(&["assets", "needs", "gap"])
}

/// A kind of organization, or empty for any (as the map's form sends it).
pub fn organization_kind() -> impl Into<RefOr<Schema>> {
    let mut kinds = vec![""];
    kinds.extend_from_slice(crate::directory::ORGANIZATION_KINDS);
    one_of_words(&kinds)
}

/// Who may see a profile; null or absent keeps the default.
pub fn visibility() -> impl Into<RefOr<Schema>> {
    OneOfBuilder::new()
        .item(one_of_words(
            &[Visibility::Public, Visibility::Members, Visibility::Hidden].map(Visibility::as_str),
        ))
        .item(of_type(Type::Null))
        .description(Some("`public` (default), `members` or `hidden`."))
}

/// Whether a post asks for help or offers it.
pub fn post_kind() -> impl Into<RefOr<Schema>> {
    one_of_words(&PostKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>())
}

/// A post's status as read: `expired` once past its expiry.
pub fn post_status() -> impl Into<RefOr<Schema>> {
    one_of_words(
        &PostStatus::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
    )
}

/// A post's status as its owner sets it (never `expired`); null or absent keeps it.
pub fn post_status_input() -> impl Into<RefOr<Schema>> {
    OneOfBuilder::new()
        .item(one_of_words(
            &[PostStatus::Open, PostStatus::InProgress, PostStatus::Closed].map(PostStatus::as_str),
        ))
        .item(of_type(Type::Null))
}

/// Where a connection stands.
pub fn connection_status() -> impl Into<RefOr<Schema>> {
    one_of_words(
        &ConnectionStatus::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
    )
}

/// Ways of learning or teaching, such as `mentoring`.
pub fn methods() -> impl Into<RefOr<Schema>> {
    ArrayBuilder::new().items(one_of_words(
        &Method::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
    ))
}

/// Methods, or null to keep them as they are.
pub fn methods_or_null() -> impl Into<RefOr<Schema>> {
    OneOfBuilder::new()
        .item(methods())
        .item(of_type(Type::Null))
}

/// Statuses every operation can answer, whatever its own annotations say: a request the server
/// cannot read (a malformed query, path or body; control characters in the address) is 400, a
/// body over the size limit is 413, and control characters in a body's text are 422 (named per
/// field, like any invalid field). They are added here so that no route can forget them.
pub fn add_common_responses(openapi: &mut utoipa::openapi::OpenApi) {
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            responses
                .entry("400".into())
                .or_insert_with(|| problem("A request the server cannot read").into());
            if operation.request_body.is_some() {
                responses
                    .entry("413".into())
                    .or_insert_with(|| problem("The body is too large").into());
                responses.entry("422".into()).or_insert_with(|| {
                    problem("Invalid fields, or control characters in the body's text").into()
                });
            }
        }
    }
}
