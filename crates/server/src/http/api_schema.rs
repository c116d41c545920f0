//! Schemas the OpenAPI derive cannot express: values that are one of several shapes, as the
//! server accepts and answers them.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};

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
    let codes = |description: &str| {
        ArrayBuilder::new()
            .items(of_type(Type::String))
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
                    codes("Ways of learning or teaching it, such as `mentoring`."),
                )
                .property("formats", codes("`online`, `in_person`.")),
        )
}

/// A list of capacities as a profile or organization submits it: ids, or objects with details.
pub fn capacity_references() -> impl Into<RefOr<Schema>> {
    ArrayBuilder::new().items(capacity_reference())
}
