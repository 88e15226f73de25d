//! The `api` binary: `serve` (default), `migrate`, `openapi`, `create-admin`, `demo`,
//! `exchange-send`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vanban::{
    cli,
    config::Settings,
    http,
    startup::{self, Application},
    telemetry,
};

/// jemalloc rather than glibc's malloc, by measurement (`scripts/bench-sign`, `bench-auth`):
/// after 64 signatures the server holds 2× its idle memory instead of 5×, and `/me` serves a
/// third more requests.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    version,
    about = "Vanban: official documents reviewed, approved and signed on a phone"
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI spec (committed as openapi/openapi.json).
    Openapi,
    /// Create an admin account, and its organisation if new. The password comes from
    /// ADMIN_PASSWORD, or is read from standard input.
    CreateAdmin(cli::CreateAdminArgs),
    /// Seed a demo organisation with a leader, a clerk, a specialist and an admin, then serve.
    Demo,
    /// Queue an .edxml file for the exchange axis; a running server sends it. Prints the
    /// outbox row's id.
    ExchangeSend(cli::ExchangeSendArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Command::Openapi) = args.command {
        println!("{}", http::spec_json());
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init_tracing(settings.log_format);
    let outcome = match args.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => startup::database(&settings, true)
            .await
            .map(|_| tracing::info!("migrations applied"))
            .map_err(anyhow::Error::from),
        Command::CreateAdmin(args) => cli::create_admin(&settings, args).await,
        Command::Demo => match cli::seed_demo(&settings).await {
            Ok(()) => serve(settings).await,
            Err(e) => Err(e),
        },
        Command::ExchangeSend(args) => cli::exchange_send(&settings, args).await,
        Command::Openapi => Ok(()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line naming what failed, e.g. the service that cannot be reached.
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: vanban::config::Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    app.run_until_stopped().await?;
    Ok(())
}
