//! What the spec says beyond what each operation declares: the headers the middleware reads
//! and writes for every operation, and schemas every client generator can take.
//!
//! [`Documented`] wraps the operations and amends their metadata, so the rule that decides
//! where a header is declared is the same rule that decides where it is honoured, in one
//! place, and no operation can forget it.

use std::collections::HashMap;

use poem::{endpoint::BoxEndpoint, http::Method};
use poem_openapi::{
    OpenApi,
    registry::{
        MetaApi, MetaHeader, MetaOperation, MetaOperationParam, MetaParamIn, MetaSchema,
        MetaSchemaRef, Registry,
    },
    types::Type,
};

use super::idempotency;

/// The operations `T`, with the headers of the middleware declared on them.
pub struct Documented<T>(pub T);

impl<T: OpenApi> OpenApi for Documented<T> {
    fn meta() -> Vec<MetaApi> {
        let mut apis = T::meta();
        for operation in apis
            .iter_mut()
            .flat_map(|api| api.paths.iter_mut())
            .flat_map(|path| path.operations.iter_mut())
        {
            declare_headers(operation);
        }
        apis
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
        for schema in registry.schemas.values_mut() {
            unwrap_described_refs(schema);
        }
    }

    fn add_routes(self, route_table: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {
        self.0.add_routes(route_table);
    }
}

fn declare_headers(operation: &mut MetaOperation) {
    let honours_idempotency =
        idempotency::honoured(&operation.method, !operation.security.is_empty());
    if honours_idempotency {
        operation.params.push(MetaOperationParam {
            name: "Idempotency-Key".to_owned(),
            schema: MetaSchemaRef::Inline(Box::new(MetaSchema {
                min_length: Some(1),
                max_length: Some(idempotency::MAX_KEY_LEN),
                ..MetaSchema::new("string")
            })),
            in_type: MetaParamIn::Header,
            description: Some(
                "Makes a retry safe: a repeat with the same key within 24 hours gets the first \
                 answer again (`Idempotent-Replayed: true`) and does not act twice."
                    .to_owned(),
            ),
            required: false,
            deprecated: false,
            explode: true,
            style: None,
        });
    }
    for response in &mut operation.responses.responses {
        response.headers.push(MetaHeader {
            name: "X-Request-Id".to_owned(),
            description: Some(
                "This request's id (the client's own when it sent a valid one): quote it when \
                 reporting a problem."
                    .to_owned(),
            ),
            required: true,
            deprecated: false,
            schema: String::schema_ref(),
        });
        // Kept and replayed: any answer but a server error, and but a 401, which is given
        // before a key is looked up.
        let replayable = response.status.is_some_and(|s| s < 500 && s != 401);
        if honours_idempotency && replayable {
            response.headers.push(MetaHeader {
                name: "Idempotent-Replayed".to_owned(),
                description: Some(
                    "`true` when this is the kept answer to an earlier request with the same \
                     `Idempotency-Key`, which was not acted on again."
                        .to_owned(),
                ),
                required: false,
                deprecated: false,
                schema: bool::schema_ref(),
            });
        }
    }
}

/// poem-openapi writes a described reference as `allOf: [$ref, {description}]` next to the
/// same description; several generators refuse an `allOf` of an enum, and the second member
/// says nothing the schema around it does not. Drops such members, leaving `allOf: [$ref]`.
fn unwrap_described_refs(schema: &mut MetaSchema) {
    let bare = MetaSchema {
        all_of: Vec::new(),
        ..schema.clone()
    };
    if schema
        .all_of
        .iter()
        .any(|m| matches!(m, MetaSchemaRef::Reference(_)))
    {
        schema
            .all_of
            .retain(|m| !matches!(m, MetaSchemaRef::Inline(inline) if **inline == bare));
    }
    let nested = schema
        .properties
        .iter_mut()
        .map(|(_, s)| s)
        .chain(schema.items.as_deref_mut())
        .chain(schema.additional_properties.as_deref_mut())
        .chain(schema.all_of.iter_mut())
        .chain(schema.any_of.iter_mut())
        .chain(schema.one_of.iter_mut());
    for member in nested {
        if let MetaSchemaRef::Inline(inline) = member {
            unwrap_described_refs(inline);
        }
    }
}
