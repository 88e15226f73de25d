//! The `api` subcommands that prepare data: `create-admin` and `demo`; and `exchange-send`.

mod demo_day;
mod exchange;

pub use exchange::{ExchangeSendArgs, exchange_send};

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use rand::{Rng, distributions::Alphanumeric};
use sea_orm::DatabaseConnection;
use secrecy::SecretString;

use crate::{
    auth::Passwords,
    clock::{Clock, SystemClock},
    config::Settings,
    domain::{Abbreviation, NewPassword, NumberingStyle, OrgCode, Organization, Role, Username},
    services::admin::abbreviation_for,
    startup,
    store::{self, is_unique_violation, organizations::NewOrganization, users::NewUser},
};

#[derive(clap::Args)]
pub struct CreateAdminArgs {
    #[arg(long)]
    pub username: String,
    /// QCVN 102 agency code of the admin's organisation (`000.00.00.A52`); created as a
    /// top-level organisation if new.
    #[arg(long)]
    pub org_code: String,
    /// The organisation's abbreviation in symbols (`TU`, `UBND`), used when it is created;
    /// required with an agency code.
    #[arg(long)]
    pub org_abbreviation: Option<String>,
    /// Name for the organisation, used when it is created.
    #[arg(long)]
    pub org_name: String,
    /// `party` or `state`, used when the organisation is created.
    #[arg(long, default_value = "state")]
    pub numbering_style: String,
    #[arg(long)]
    pub full_name: Option<String>,
}

pub async fn create_admin(settings: &Settings, args: CreateAdminArgs) -> anyhow::Result<()> {
    let username = Username::parse(&args.username)?;
    let style = NumberingStyle::parse(&args.numbering_style)
        .context("--numbering-style must be `party` or `state`")?;
    let password = admin_password()?;
    let password = NewPassword::parse(password, username.as_str())?;
    let code = OrgCode::parse(&args.org_code, settings.exchange_allow_test_codes)?;
    let db = startup::database(settings, true).await?;
    let org = match store::organizations::find_by_code(&db, &code).await? {
        Some(org) => org,
        None => {
            let abbreviation = abbreviation_for(&code, args.org_abbreviation.as_deref())
                .context("--org-abbreviation")?;
            let new = NewOrganization {
                code,
                abbreviation,
                name: args.org_name.trim().to_owned(),
                parent_id: None,
                numbering_style: style,
            };
            store::organizations::insert(&db, new, SystemClock.now()).await?
        }
    };
    let full_name = args
        .full_name
        .unwrap_or_else(|| username.as_str().to_owned());
    let seed = Seed {
        username,
        full_name,
        title: "Quản trị hệ thống".to_owned(),
        role: Role::Admin,
    };
    let passwords = Passwords::new(1, 1).await?;
    match insert_user(&db, &passwords, &org, seed, password.into_secret()).await {
        Err(e) if e.downcast_ref().is_some_and(is_unique_violation) => {
            bail!("the username `{}` is taken", args.username)
        }
        other => other?,
    }
    println!(
        "admin `{}` created in organisation {}",
        args.username.trim(),
        org.code
    );
    Ok(())
}

fn admin_password() -> anyhow::Result<SecretString> {
    if let Ok(pw) = std::env::var("ADMIN_PASSWORD") {
        return Ok(SecretString::from(pw));
    }
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        rpassword::prompt_password("Password for the new admin: ")?
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        line
    };
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    if line.is_empty() {
        bail!("no password given: set ADMIN_PASSWORD or type it on standard input");
    }
    Ok(SecretString::from(line))
}

struct Seed {
    username: Username,
    full_name: String,
    title: String,
    role: Role,
}

async fn insert_user(
    db: &DatabaseConnection,
    passwords: &Passwords,
    org: &Organization,
    seed: Seed,
    password: SecretString,
) -> anyhow::Result<()> {
    let new = NewUser {
        username: seed.username,
        full_name: seed.full_name,
        title: seed.title,
        organization_id: org.id,
        roles: vec![seed.role],
        password_hash: passwords.hash(password).await?,
        must_change_password: false,
    };
    store::users::insert(db, new, SystemClock.now()).await?;
    Ok(())
}

/// The demo Party committee's QCVN 102 agency code (a provincial Party committee's pattern).
const DEMO_CODE: &str = "000.00.00.A99";

/// Seeds the demo organisation once, keeping its generated logins in the data directory
/// (never in the repository), and prints them on every start.
pub async fn seed_demo(settings: &Settings) -> anyhow::Result<()> {
    let db = startup::database(settings, true).await?;
    let logins_file = settings.data_dir.join("demo-logins.txt");
    let code = OrgCode::parse(DEMO_CODE, false)?;
    // A data directory seeded before agency codes holds the demo under the local code `DEMO`.
    let legacy = OrgCode::parse("DEMO", false)?;
    let seeded = store::organizations::find_by_code(&db, &code)
        .await?
        .is_some()
        || store::organizations::find_by_code(&db, &legacy)
            .await?
            .is_some();
    if !seeded {
        let new = NewOrganization {
            code,
            abbreviation: Abbreviation::parse("TU")?,
            name: "Tỉnh ủy Demo".to_owned(),
            parent_id: None,
            numbering_style: NumberingStyle::Party,
        };
        let org = store::organizations::insert(&db, new, SystemClock.now()).await?;
        let passwords = Passwords::new(1, 1).await?;
        let people = [
            (
                "demo.admin",
                "Trần Thị Quản Trị",
                "Quản trị hệ thống",
                Role::Admin,
            ),
            (
                "demo.leader",
                "Nguyễn Văn An",
                "Phó Bí thư Tỉnh ủy",
                Role::Leader,
            ),
            (
                demo_day::SECRETARY,
                "Lê Minh Châu",
                "Bí thư Tỉnh ủy",
                Role::Leader,
            ),
            ("demo.clerk", "Lê Thị Bình", "Văn thư", Role::Clerk),
            (
                "demo.specialist",
                "Phạm Văn Cường",
                "Chuyên viên",
                Role::Specialist,
            ),
        ];
        let mut text = String::new();
        let mut logins = Vec::new();
        for (username, full_name, title, role) in people {
            let password: String = rand::thread_rng()
                .sample_iter(&Alphanumeric)
                .take(14)
                .map(char::from)
                .collect();
            let seed = Seed {
                username: Username::parse(username)?,
                full_name: full_name.to_owned(),
                title: title.to_owned(),
                role,
            };
            insert_user(
                &db,
                &passwords,
                &org,
                seed,
                SecretString::from(password.clone()),
            )
            .await?;
            text.push_str(&format!(
                "{:<10} {username:<16} {password}\n",
                role.as_str()
            ));
            logins.push(demo_day::Login {
                role: role.as_str(),
                username: username.to_owned(),
                password,
            });
        }
        write_private(&logins_file, &text)?;
        let day = demo_day::seed(settings, &logins)
            .await
            .context("seeding the demo's day of work")?;
        println!("\nThe demo's day of work:");
        for line in day {
            println!("  - {line}");
        }
    }
    let text = std::fs::read_to_string(&logins_file)
        .with_context(|| format!("reading the demo logins from {}", logins_file.display()))?;
    let url = settings.public_url();
    println!(
        "\nVanban demo\n  console:  {url}/console/\n  API docs: {url}/docs\n  spec:     {url}/openapi.json\n  logins (role, username, password; also in {}):",
        logins_file.display()
    );
    for line in text.lines() {
        println!("    {line}");
    }
    println!();
    Ok(())
}

fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
