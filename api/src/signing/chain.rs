//! Certificate paths: from a signer's certificate, through the certificates its CMS carries,
//! up to a trust anchor. Every issuer on the path must be a CA (basicConstraints cA and
//! keyUsage keyCertSign): a leaf certificate that happens to hold the key that signed another
//! certificate issues nothing. Each certificate must be valid at the signing time.

use chrono::{DateTime, Utc};
use der::Encode;
use sha2::Sha256;
use signature::Verifier;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::{
    Certificate,
    ext::pkix::{BasicConstraints, KeyUsage},
};

use super::{
    ca::valid_at,
    cms::{RSA_ENCRYPTION, SHA256_WITH_RSA},
    verify::{Problem, ProblemKind},
};

const NO_ANCHOR: &str = "the certificate does not chain to a trust anchor";
/// Real chains here are leaf, maybe an intermediate or two, root.
const MAX_PATH: usize = 5;

/// Why `leaf` does not chain to one of `anchors` through CAs in `pool`, valid at `at`.
pub fn check_path(
    leaf: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    at: DateTime<Utc>,
) -> Result<(), Problem> {
    let untrusted = |message: String| Problem::new(ProblemKind::Untrusted, message);
    let mut current = leaf;
    for below in 0..MAX_PATH {
        if !valid_at(current, at) {
            return Err(Problem::new(
                ProblemKind::CertificateNotValid,
                format!(
                    "the certificate of {} was not valid at the signing time",
                    current.tbs_certificate.subject
                ),
            ));
        }
        let issued_by = |issuer: &&Certificate| issued(current, issuer);
        if let Some(anchor) = anchors.iter().find(issued_by) {
            return ca_problem(anchor, below).map_or(Ok(()), |p| Err(untrusted(p)));
        }
        let Some(issuer) = pool
            .iter()
            .filter(|c| *c != current && !anchors.contains(c))
            .find(issued_by)
        else {
            return Err(untrusted(NO_ANCHOR.into()));
        };
        if let Some(problem) = ca_problem(issuer, below) {
            return Err(untrusted(problem));
        }
        current = issuer;
    }
    Err(untrusted(NO_ANCHOR.into()))
}

/// Whether `issuer`'s key signed `certificate` and its subject is `certificate`'s issuer.
fn issued(certificate: &Certificate, issuer: &Certificate) -> bool {
    issuer.tbs_certificate.subject == certificate.tbs_certificate.issuer
        && certificate.tbs_certificate.to_der().is_ok_and(|tbs| {
            certificate.signature.as_bytes().is_some_and(|signature| {
                verify_with(
                    &issuer.tbs_certificate.subject_public_key_info,
                    &tbs,
                    signature,
                )
            })
        })
}

/// Why `issuer` may not issue a certificate with `below` CA certificates under it.
fn ca_problem(issuer: &Certificate, below: usize) -> Option<String> {
    let subject = &issuer.tbs_certificate.subject;
    // An extension that does not decode counts as absent.
    let constraints = issuer
        .tbs_certificate
        .get::<BasicConstraints>()
        .ok()
        .flatten();
    let usage = issuer.tbs_certificate.get::<KeyUsage>().ok().flatten();
    match (constraints, usage) {
        (Some((_, c)), Some((_, usage))) if c.ca && usage.key_cert_sign() => c
            .path_len_constraint
            .filter(|max| usize::from(*max) < below)
            .map(|_| format!("{subject} may not issue certificates this far down the path")),
        _ => Some(format!(
            "its issuer {subject} is not a certification authority (basicConstraints cA and \
             keyUsage keyCertSign)"
        )),
    }
}

/// Verifies a SHA-256 signature (RSA PKCS#1 v1.5 or ECDSA P-256) over `data`.
pub fn verify_with(spki: &SubjectPublicKeyInfoOwned, data: &[u8], signature: &[u8]) -> bool {
    let Ok(der) = spki.to_der() else {
        return false;
    };
    match spki.algorithm.oid {
        oid if oid == RSA_ENCRYPTION || oid == SHA256_WITH_RSA => {
            use rsa::pkcs8::DecodePublicKey;
            let (Ok(key), Ok(signature)) = (
                rsa::RsaPublicKey::from_public_key_der(&der),
                rsa::pkcs1v15::Signature::try_from(signature),
            ) else {
                return false;
            };
            rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
                .verify(data, &signature)
                .is_ok()
        }
        _ => {
            use p256::pkcs8::DecodePublicKey;
            let (Ok(key), Ok(signature)) = (
                p256::ecdsa::VerifyingKey::from_public_key_der(&der),
                p256::ecdsa::DerSignature::try_from(signature),
            ) else {
                return false;
            };
            key.verify(data, &signature).is_ok()
        }
    }
}
