//! The domain's closed sets as enums of the spec, so generated clients can switch on them. The
//! wire values are the stored ones (`as_str`), and the domain stays free of poem: the OpenAPI
//! traits are implemented here, once, by [`spec_enum!`].

use std::borrow::Cow;

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef, Registry},
    types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type},
};

use crate::domain::{
    Locale,
    audit::{AuditAction, BreakReason},
    exchange::Route,
    workflow::{DocumentState, HandlerRole, TaskAction, TaskStatus},
};

/// Implements the OpenAPI type traits for enums that have `ALL`, `as_str()` and `parse()`:
/// a named string schema listing every value.
macro_rules! spec_enum {
    ($($ty:ty => $name:literal, $description:literal;)+) => {$(
        impl Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }

            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Reference($name.to_owned())
            }

            fn register(registry: &mut Registry) {
                registry.create_schema::<Self, _>($name.to_owned(), |_| MetaSchema {
                    description: Some($description),
                    enum_items: Self::ALL.iter().map(|v| v.as_str().into()).collect(),
                    ..MetaSchema::new("string")
                });
            }

            fn as_raw_value(&self) -> Option<&Self> {
                Some(self)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
                Box::new(self.as_raw_value().into_iter())
            }
        }

        impl ParseFromJSON for $ty {
            fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
                match value {
                    Some(serde_json::Value::String(raw)) => {
                        Self::parse(&raw).map_err(|e| ParseError::custom(e.reason))
                    }
                    other => Err(ParseError::expected_type(other.unwrap_or_default())),
                }
            }
        }

        impl ParseFromParameter for $ty {
            fn parse_from_parameter(raw: &str) -> ParseResult<Self> {
                Self::parse(raw).map_err(|e| ParseError::custom(e.reason))
            }
        }

        impl ToJSON for $ty {
            fn to_json(&self) -> Option<serde_json::Value> {
                Some(self.as_str().into())
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    )+};
}

spec_enum! {
    DocumentState => "DocumentState",
        "Where a document stands. Outgoing: `draft` → `in_review` (→ `returned` → …) → \
        `approved` → `signed` → `issued`. Incoming: `draft` (waiting for the clerk) → \
        `registered` → `in_progress` → `done`, or `refused` (the clerk refused to take in a \
        document another organisation sent).";
    TaskAction => "TaskAction",
        "What a task asks: `review` a draft (ký nháy), `sign` it (ký ban hành, always the last \
        step), `direct` an incoming document (bút phê), `lead` its handling (chủ trì), \
        `support` the lead (phối hợp), read it (`fyi`, để biết), or `receive` a document \
        another organisation sent (tiếp nhận: register or refuse it).";
    TaskStatus => "TaskStatus",
        "`pending` (a later step, not its turn yet), `waiting` (its turn), `approved`, \
        `signed`, `returned`, `forwarded` (someone else's task took its place), `completed` or \
        `cancelled` (an earlier step returned the draft).";
    HandlerRole => "HandlerRole",
        "What a handler of an incoming document is asked to do: `lead` (chủ trì), `support` \
        (phối hợp) or `fyi` (để biết).";
    AuditAction => "AuditAction", "What an audit entry records.";
    BreakReason => "AuditBreakReason",
        "`altered` (its fields no longer match its hash), `unlinked` (it does not point at the \
        entry before it) or `missing` (entries are missing before it, or the newest ones were \
        removed).";
    Locale => "Language", "`vi` (Vietnamese, the default) or `en`.";
    Route => "ArrivalRoute",
        "How a document another organisation sent came in: from an organisation on this \
        server (`local`), over the exchange axis (`axis`), or as an edXML file a clerk \
        imported (`import`).";
}
