//! Remote signing: private keys live in an HSM reached through PKCS#11 ([`hsm`], [`pkcs11`]);
//! [`ca`] makes certificate requests for them (and, in development, certificates); [`cms`]
//! builds the detached CMS SignedData whose signed attributes the HSM signs; [`pades`] embeds
//! it into the PDF as an incremental update; [`verify`] checks the signatures a PDF carries,
//! with [`chain`] for certificate paths and [`revisions`] for what changed after a signature.
//! Nothing here touches the database or HTTP: `services::signing` does the use cases.

pub mod appearance;
pub mod ca;
pub mod chain;
pub mod cms;
pub mod fonts;
pub mod hsm;
pub mod images;
pub mod pades;
pub mod pkcs11;
pub mod revisions;
pub mod sample;
pub mod tsa;
pub mod update;
pub mod verify;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;

pub use hsm::{Hsm, HsmError, KeyAlgorithm, NoHsm, PublicKeyInfo};

use std::sync::Arc;

/// What signing needs at run time, built once at start.
pub struct SigningSetup {
    pub hsm: Arc<dyn Hsm>,
    /// Whether PKCS11_MODULE is set: readiness reports an unconfigured HSM without failing.
    pub configured: bool,
    pub dev_ca: Option<ca::DevCa>,
    /// CA certificates configured by the operator (`SIGNING_TRUST_ANCHORS_FILE`).
    pub anchors: Vec<x509_cert::Certificate>,
    /// How long a signing request waits for its PIN.
    pub request_ttl: chrono::Duration,
    /// The font of signature appearances; loaded whenever signing is on.
    pub font: Option<fonts::Font>,
    /// The time-stamping authority, when configured.
    pub tsa: Option<tsa::Tsa>,
}

impl SigningSetup {
    /// The CA certificates signatures made here chain to.
    pub fn trust_anchors(&self) -> Vec<x509_cert::Certificate> {
        self.anchors
            .iter()
            .cloned()
            .chain(self.dev_ca.iter().map(|ca| ca.certificate.clone()))
            .collect()
    }
}
