//! What a clerk or author types for the exchange when a document is taken in: the signer block,
//! place of issue, recipients and free-text places of an outgoing one; the sender's number,
//! symbol, date, issuer code and our arrival date of an incoming one. Checked before any file
//! is read, written in the document's own transaction.

use std::collections::HashSet;

use anyhow::Context;
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{
    domain::{
        InvalidInput, OrgCode, User,
        document::Direction,
        exchange::{self, Addressee, ExchangeRecord, Particulars, Signer},
        numbering::local_date,
    },
    services::documents::DocumentError,
    state::AppState,
    store,
};

/// The signer block as typed.
pub struct SignerInput {
    pub competence: Option<String>,
    pub position: String,
    pub full_name: String,
}

/// A recipient as picked: an organisation on this server by id, or an agency by code (with
/// the name printed for it; an agency code that names one of ours is delivered here).
pub struct RecipientInput {
    pub organization_id: Option<Uuid>,
    pub code: Option<String>,
    pub name: Option<String>,
}

#[derive(Default)]
pub struct ExchangeInput {
    pub signer: Option<SignerInput>,
    pub place_of_issue: Option<String>,
    pub recipients: Vec<RecipientInput>,
    pub places: Vec<String>,
    /// Incoming: what the sender wrote on it.
    pub number: Option<i32>,
    pub symbol: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub issuer_code: Option<String>,
    /// Incoming: our arrival date; today (Vietnam) when not typed.
    pub received_on: Option<NaiveDate>,
}

/// Particulars that passed every check, to be written with the document.
pub struct Checked {
    particulars: Particulars,
    recipients: Vec<(Addressee, String)>,
    /// Incoming: the sender's number, symbol and date.
    sender: Option<(i32, String, NaiveDate)>,
}

/// Checks what was typed against the document's direction and the organisations it names.
pub async fn check(
    state: &AppState,
    author: &User,
    direction: Direction,
    input: ExchangeInput,
) -> Result<Checked, DocumentError> {
    let incoming = direction == Direction::Incoming;
    let only = |present: bool, field: &'static str, which: &str| {
        if present {
            Err(InvalidInput::new(
                field,
                format!("applies to {which} documents only"),
            ))
        } else {
            Ok(())
        }
    };
    only(!incoming && input.number.is_some(), "number", "incoming")?;
    only(!incoming && input.symbol.is_some(), "symbol", "incoming")?;
    only(
        !incoming && input.issued_on.is_some(),
        "issued_on",
        "incoming",
    )?;
    only(
        !incoming && input.issuer_code.is_some(),
        "issuer_code",
        "incoming",
    )?;
    only(
        !incoming && input.received_on.is_some(),
        "received_on",
        "incoming",
    )?;
    let outgoing = direction == Direction::Outgoing;
    only(
        !outgoing && !input.recipients.is_empty(),
        "recipients",
        "outgoing",
    )?;
    let sender = match (input.number, input.symbol, input.issued_on) {
        (None, None, None) => None,
        (Some(number), Some(symbol), Some(on)) if number > 0 => Some((
            number,
            exchange::place(&symbol).map_err(|_| {
                InvalidInput::new("symbol", "must be one line, such as `1945-QĐ/TU`")
            })?,
            on,
        )),
        _ => {
            return Err(InvalidInput::new(
                "symbol",
                "the sender's number (positive), symbol and issue date go together",
            )
            .into());
        }
    };
    let issuer_code = input
        .issuer_code
        .map(|c| agency(&c, state.allow_test_codes, "issuer_code"))
        .transpose()?
        .map(|c| c.as_str().to_owned());
    let signer = input
        .signer
        .map(|s| Signer::parse(s.competence.as_deref(), &s.position, &s.full_name))
        .transpose()?;
    let places = input
        .places
        .iter()
        .map(|p| exchange::place(p))
        .collect::<Result<Vec<_>, _>>()?;
    let particulars = Particulars {
        place_of_issue: input
            .place_of_issue
            .as_deref()
            .map(exchange::place_of_issue)
            .transpose()?,
        signer,
        places,
        issuer_code,
        received_on: incoming.then(|| {
            input
                .received_on
                .unwrap_or_else(|| local_date(state.clock.now()))
        }),
    };
    let recipients = addressees(state, author, input.recipients).await?;
    Ok(Checked {
        particulars,
        recipients,
        sender,
    })
}

/// A code that names an agency on the exchange network (a local code does not).
fn agency(raw: &str, allow_test: bool, field: &'static str) -> Result<OrgCode, InvalidInput> {
    let code = OrgCode::parse(raw, allow_test).map_err(|e| InvalidInput::new(field, e.reason))?;
    if !code.on_exchange() {
        return Err(InvalidInput::new(
            field,
            "must be a QCVN 102 agency code such as `000.00.00.G22`",
        ));
    }
    Ok(code)
}

/// Each recipient resolved: an organisation of this server (by id, or by the agency code it
/// carries), or an agency elsewhere with the name to print. Never the sender itself, never twice.
async fn addressees(
    state: &AppState,
    author: &User,
    inputs: Vec<RecipientInput>,
) -> Result<Vec<(Addressee, String)>, DocumentError> {
    let mut out = Vec::with_capacity(inputs.len());
    let mut seen = HashSet::new();
    for (i, r) in inputs.into_iter().enumerate() {
        let bad =
            |reason: &str| InvalidInput::new("recipients", format!("recipient {i}: {reason}"));
        let local = match (r.organization_id, r.code.as_deref()) {
            (Some(id), None) => Some(
                store::organizations::find(&state.db, id)
                    .await
                    .context("loading a recipient")?
                    .ok_or_else(|| bad("no such organisation"))?,
            ),
            (None, Some(raw)) => {
                let code = agency(raw, state.allow_test_codes, "recipients")
                    .map_err(|e| bad(&e.reason))?;
                match store::organizations::find_by_code(&state.db, &code)
                    .await
                    .context("looking up a recipient's code")?
                {
                    Some(org) => Some(org),
                    None => {
                        let name = r
                            .name
                            .as_deref()
                            .map(exchange::place)
                            .transpose()
                            .map_err(|_| bad("its name must be one line"))?
                            .ok_or_else(|| bad("an agency elsewhere needs its name"))?;
                        if !seen.insert(code.as_str().to_owned()) {
                            return Err(bad("named twice").into());
                        }
                        out.push((Addressee::External(code), name));
                        None
                    }
                }
            }
            _ => return Err(bad("give either organization_id or code").into()),
        };
        if let Some(org) = local {
            if org.id == author.organization_id {
                return Err(bad("an organisation does not send to itself").into());
            }
            if !seen.insert(org.code.clone()) {
                return Err(bad("named twice").into());
            }
            out.push((Addressee::Local(org.id), org.name));
        }
    }
    Ok(out)
}

/// Writes the checked particulars of a new document, in its transaction.
pub async fn write(
    db: &impl ConnectionTrait,
    document: Uuid,
    checked: &Checked,
) -> Result<(), DocumentError> {
    if let Some((number, symbol, on)) = &checked.sender {
        store::documents::set_issued(db, document, *number, symbol, *on)
            .await
            .context("recording the sender's number")?;
    }
    if !checked.particulars.is_empty() {
        store::document_details::save(db, document, &checked.particulars)
            .await
            .context("recording the particulars")?;
    }
    if !checked.recipients.is_empty() {
        store::deliveries::replace(db, document, &checked.recipients)
            .await
            .context("recording the recipients")?;
    }
    Ok(())
}

/// What the document screen shows of a document's exchange.
pub async fn record(state: &AppState, document: Uuid) -> Result<ExchangeRecord, DocumentError> {
    Ok(ExchangeRecord {
        particulars: store::document_details::find(&state.db, document)
            .await
            .context("loading the particulars")?,
        recipients: store::deliveries::of_document(&state.db, document)
            .await
            .context("loading the recipients")?,
        arrival: store::arrivals::of_document(&state.db, document)
            .await
            .context("loading where it came from")?,
    })
}
