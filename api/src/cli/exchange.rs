//! `api exchange-send`: hands an .edxml file to the exchange axis by hand, through the same
//! outbox as every sent document, so a running server sends it once (an operator re-sending a
//! message another tool produced, or checking the link to a new axis).

use std::path::PathBuf;

use anyhow::{Context, bail};
use sea_orm::TransactionTrait;

use crate::{
    clock::{Clock, SystemClock},
    config::Settings,
    domain::{OrgCode, exchange::transport::MessageKind},
    services::exchange::axis::sender::stage,
    startup,
    store::{self, exchange_outbox::NewMessage},
};

#[derive(clap::Args)]
pub struct ExchangeSendArgs {
    /// The .edxml file.
    #[arg(long)]
    pub file: PathBuf,
    /// A recipient's agency code; repeat for several.
    #[arg(long, required = true)]
    pub to: Vec<String>,
    /// `edoc` or `status`.
    #[arg(long, default_value = "edoc")]
    pub kind: String,
}

pub async fn exchange_send(settings: &Settings, args: ExchangeSendArgs) -> anyhow::Result<()> {
    let Some(exchange) = &settings.exchange else {
        bail!("no exchange axis is configured (EXCHANGE_URL and the other EXCHANGE_ settings)");
    };
    let kind = MessageKind::parse(&args.kind).context("--kind must be `edoc` or `status`")?;
    let to = args
        .to
        .iter()
        .map(|code| {
            OrgCode::parse(code, true)
                .ok()
                .filter(OrgCode::on_exchange)
                .map(|c| c.as_str().to_owned())
                .with_context(|| format!("--to `{code}` is not an agency code"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let edxml = tokio::fs::read(&args.file)
        .await
        .with_context(|| format!("reading {}", args.file.display()))?;
    let files = startup::files(settings).await?;
    let stored = stage(files.as_ref(), &edxml).await?;
    let db = startup::database(settings, true).await?;
    let message = NewMessage {
        kind,
        from: exchange.agency_code.clone(),
        to,
        message: stored.hash,
        document_id: None,
        recipient_id: None,
        at: SystemClock.now(),
    };
    let txn = db.begin().await?;
    let id = store::exchange_outbox::insert(&txn, message).await?;
    txn.commit().await?;
    // Machines read the id; the running server sends it at its next look at the outbox.
    println!("{id}");
    Ok(())
}
