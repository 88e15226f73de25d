//! Checking the signatures a PDF carries, as a validator would. For each signature: its
//! /ByteRange leaves out exactly its /Contents hex string and nothing else, the message digest
//! matches the signed bytes, the CMS signature verifies with the signer's certificate, the
//! certificate chains through CAs to a trust anchor and was valid at the claimed signing time
//! ([`chain`](super::chain)), and nothing but later signatures changed the document after the
//! revision it signed ([`revisions`](super::revisions)). A signature timestamp (RFC 3161) is
//! checked too: over this signature's value, signed by its authority, whose certificate chains
//! to a trust anchor; its time is then the one certificates must be valid at. Each failed check
//! is a [`Problem`] with a kind a client can act on and a sentence it can show.

use chrono::{DateTime, NaiveDateTime, Utc};
use cms::{
    cert::CertificateChoices,
    content_info::ContentInfo,
    signed_data::{SignedData, SignerIdentifier, SignerInfo},
};
use der::{Encode, asn1::OctetString};
use lopdf::{Document, Object, xref::XrefRecovery};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use super::{
    chain::{check_path, verify_with},
    cms::{ID_MESSAGE_DIGEST, ID_SHA256},
    pades::PadesError,
    revisions::unexplained_change,
    tsa::{token_of, tst_info},
};
use crate::files::pdf_limits;

/// A signature field's value as found in the PDF.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FoundSignature {
    pub field: String,
    pub byte_range: Vec<i64>,
    pub contents: Vec<u8>,
    pub signer_name: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub signing_time: Option<DateTime<Utc>>,
}

/// What kind of check failed, in the order of the checks: the structure, the /ByteRange, the
/// message digest, the CMS signature, the certificate path to a trust anchor, the certificates'
/// validity at the signing time, changes after signing. The API documents each for clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    Malformed,
    ByteRange,
    DigestMismatch,
    SignatureInvalid,
    Untrusted,
    CertificateNotValid,
    ModifiedAfterSigning,
    TimestampInvalid,
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
}

impl Problem {
    pub fn new(kind: ProblemKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// A signature timestamp as its token states it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timestamp {
    pub time: DateTime<Utc>,
    /// The authority's certificate subject (RFC 4514), when its certificate is in the token.
    pub authority: Option<String>,
}

/// The outcome for one signature: valid when `problems` is empty.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verdict {
    pub found: FoundSignature,
    pub signer_subject: Option<String>,
    pub signer_serial: Option<String>,
    /// Whether the signature covers every byte of the file; an earlier signature does not
    /// cover the later signatures appended after it, which does not make it invalid.
    pub covers_whole_file: bool,
    /// The RFC 3161 timestamp on the signature, if any; a problem says when it does not hold.
    #[serde(default)]
    pub timestamp: Option<Timestamp>,
    pub problems: Vec<Problem>,
}

impl Verdict {
    pub fn valid(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn modified_after_signing(&self) -> bool {
        self.problems
            .iter()
            .any(|p| p.kind == ProblemKind::ModifiedAfterSigning)
    }

    fn problem(&mut self, kind: ProblemKind, message: impl Into<String>) {
        self.problems.push(Problem::new(kind, message));
    }
}

/// Every signature of `pdf`, in field order, each checked against the trust `anchors`.
pub fn verify_pdf(pdf: &[u8], anchors: &[Certificate]) -> Result<Vec<Verdict>, PadesError> {
    let document = pdf_limits::load(pdf)?;
    let damaged = document.xref_recovery == Some(XrefRecovery::Reconstructed);
    Ok(find_signatures(&document)
        .into_iter()
        .map(|found| {
            let mut verdict = Verdict {
                found,
                signer_subject: None,
                signer_serial: None,
                covers_whole_file: false,
                timestamp: None,
                problems: Vec::new(),
            };
            if damaged {
                verdict.problem(
                    ProblemKind::Malformed,
                    "the file's cross-reference data is damaged: what a reader shows cannot be \
                     tied to the signed bytes",
                );
            }
            if let Err(problem) = check(pdf, &document, &mut verdict, anchors) {
                verdict.problems.push(problem);
            }
            verdict
        })
        .collect())
}

/// The signature fields of `document` that hold a value, in field order.
fn find_signatures(document: &Document) -> Vec<FoundSignature> {
    let fields = document
        .catalog()
        .and_then(|c| c.get(b"AcroForm"))
        .and_then(|f| document.dereference(f))
        .and_then(|(_, f)| f.as_dict())
        .and_then(|f| f.get(b"Fields"))
        .and_then(|f| document.dereference(f))
        .and_then(|(_, f)| f.as_array())
        .cloned()
        .unwrap_or_default();
    let mut found = Vec::new();
    for field in fields {
        let Ok((_, Object::Dictionary(field))) = document.dereference(&field) else {
            continue;
        };
        let is_signature = field
            .get(b"FT")
            .and_then(Object::as_name)
            .is_ok_and(|n| n == b"Sig");
        let value = field
            .get(b"V")
            .and_then(|v| document.dereference(v))
            .and_then(|(_, v)| v.as_dict());
        let (true, Ok(value)) = (is_signature, value) else {
            continue;
        };
        let text = |key: &[u8]| value.get(key).ok().and_then(decode_text);
        found.push(FoundSignature {
            field: field
                .get(b"T")
                .ok()
                .and_then(decode_text)
                .unwrap_or_default(),
            byte_range: value
                .get(b"ByteRange")
                .and_then(Object::as_array)
                .map(|a| a.iter().filter_map(|n| n.as_i64().ok()).collect())
                .unwrap_or_default(),
            contents: value
                .get(b"Contents")
                .and_then(Object::as_str)
                .map(<[u8]>::to_vec)
                .unwrap_or_default(),
            signer_name: text(b"Name"),
            reason: text(b"Reason"),
            location: text(b"Location"),
            signing_time: text(b"M").and_then(|m| parse_pdf_date(&m)),
        });
    }
    found
}

/// Runs the checks on `verdict.found`; an `Err` is a problem after which nothing more can be
/// checked.
fn check(
    pdf: &[u8],
    document: &Document,
    verdict: &mut Verdict,
    anchors: &[Certificate],
) -> Result<(), Problem> {
    let range: Vec<usize> = verdict
        .found
        .byte_range
        .iter()
        .filter_map(|n| usize::try_from(*n).ok())
        .collect();
    let [start, first_len, second_start, second_len] = range[..] else {
        return Err(Problem::new(
            ProblemKind::ByteRange,
            "the /ByteRange is not four offsets",
        ));
    };
    let end = second_start
        .checked_add(second_len)
        .filter(|end| start == 0 && first_len < second_start && *end <= pdf.len())
        .ok_or(Problem::new(
            ProblemKind::ByteRange,
            "the /ByteRange does not fit the file",
        ))?;
    verdict.covers_whole_file = end == pdf.len();
    if !is_hex_string_of(&pdf[first_len..second_start], &verdict.found.contents) {
        verdict.problem(
            ProblemKind::ByteRange,
            "the /ByteRange leaves out more than this signature's /Contents: bytes outside the \
             signature could change unseen",
        );
    }
    let mut hasher = Sha256::new();
    hasher.update(&pdf[..first_len]);
    hasher.update(&pdf[second_start..end]);
    let digest: [u8; 32] = hasher.finalize().into();
    if !verdict.covers_whole_file {
        check_later_changes(&pdf[..end], document, verdict);
    }

    let malformed = |message: String| Problem::new(ProblemKind::Malformed, message);
    let signed_data = super::cms::parse_signed_data(&verdict.found.contents)
        .map_err(|e| malformed(format!("/Contents is not a CMS SignedData: {e}")))?;
    let signer_info = signed_data
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| malformed("the CMS holds no signer".into()))?;
    let certificates = certificates_of(&signed_data);
    if !matches!(signer_info.sid, SignerIdentifier::IssuerAndSerialNumber(_)) {
        return Err(malformed(
            "the signer is not named by issuer and serial number".into(),
        ));
    }
    let signer = signer_of(signer_info, &certificates)
        .ok_or_else(|| malformed("the signer's certificate is not in the signature".into()))?;
    verdict.signer_subject = Some(signer.tbs_certificate.subject.to_string());
    verdict.signer_serial = Some(hex::encode(signer.tbs_certificate.serial_number.as_bytes()));

    let claimed = super::cms::signed_attribute(signer_info, ID_MESSAGE_DIGEST)
        .and_then(|a| a.decode_as::<OctetString>().ok())
        .ok_or_else(|| malformed("the signature has no message-digest attribute".into()))?;
    if claimed.as_bytes() != digest {
        verdict.problem(
            ProblemKind::DigestMismatch,
            "the signed bytes were changed after signing (message digest mismatch)",
        );
    }
    let signed_attrs = signer_info
        .signed_attrs
        .as_ref()
        .ok_or_else(|| malformed("the signature has no signed attributes".into()))?
        .to_der()
        .map_err(|e| malformed(e.to_string()))?;
    if !verify_with(
        &signer.tbs_certificate.subject_public_key_info,
        &signed_attrs,
        signer_info.signature.as_bytes(),
    ) {
        verdict.problem(
            ProblemKind::SignatureInvalid,
            "the CMS signature does not verify with the signer's certificate",
        );
    }
    let claimed_time = verdict
        .found
        .signing_time
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    // A trusted time replaces the signer's own claim.
    let at = match token_of(signer_info) {
        None => claimed_time,
        Some(token) => {
            let signature = signer_info.signature.as_bytes();
            let (timestamp, problem) = match token {
                Ok(token) => check_timestamp(&token, signature, anchors),
                Err(e) => (
                    None,
                    Some(Problem::new(
                        ProblemKind::TimestampInvalid,
                        format!("the timestamp is not a CMS SignedData: {e}"),
                    )),
                ),
            };
            let trusted = problem.is_none();
            verdict.problems.extend(problem);
            verdict.timestamp = timestamp;
            match &verdict.timestamp {
                Some(t) if trusted => t.time,
                _ => claimed_time,
            }
        }
    };
    if let Err(problem) = check_path(signer, &certificates, anchors, at) {
        verdict.problems.push(problem);
    }
    Ok(())
}

/// The timestamp `token` states, and why it does not hold if it does not: it must be over
/// `signature` (SHA-256), its CMS signature must verify with the authority's certificate, and
/// that certificate must chain to a trust anchor and be valid at the stated time.
fn check_timestamp(
    token: &ContentInfo,
    signature: &[u8],
    anchors: &[Certificate],
) -> (Option<Timestamp>, Option<Problem>) {
    let invalid = |message: String| Problem::new(ProblemKind::TimestampInvalid, message);
    let info = match tst_info(token) {
        Ok(info) => info,
        Err(e) => {
            return (
                None,
                Some(invalid(format!(
                    "the timestamp is not an RFC 3161 token: {e}"
                ))),
            );
        }
    };
    let seconds = info.gen_time.to_unix_duration();
    let time = DateTime::<Utc>::from_timestamp(
        i64::try_from(seconds.as_secs()).unwrap_or(i64::MAX),
        seconds.subsec_nanos(),
    )
    .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut timestamp = Timestamp {
        time,
        authority: None,
    };
    let mut checks = || -> Result<(), Problem> {
        let imprint = &info.message_imprint;
        if imprint.hash_algorithm.oid != ID_SHA256
            || imprint.hashed_message.as_bytes() != &Sha256::digest(signature)[..]
        {
            return Err(invalid(
                "the timestamp is not over this signature (message imprint mismatch)".into(),
            ));
        }
        let malformed = |e: der::Error| invalid(format!("the timestamp cannot be read: {e}"));
        let signed: SignedData = token.content.decode_as().map_err(malformed)?;
        let certificates = certificates_of(&signed);
        let signer_info = signed
            .signer_infos
            .0
            .iter()
            .next()
            .ok_or_else(|| invalid("the timestamp holds no signer".into()))?;
        let authority = signer_of(signer_info, &certificates).ok_or_else(|| {
            invalid("the time-stamping authority's certificate is not in the timestamp".into())
        })?;
        timestamp.authority = Some(authority.tbs_certificate.subject.to_string());
        let content = signed
            .encap_content_info
            .econtent
            .as_ref()
            .ok_or_else(|| invalid("the timestamp has no content".into()))?
            .decode_as::<OctetString>()
            .map_err(malformed)?;
        let digest = super::cms::signed_attribute(signer_info, ID_MESSAGE_DIGEST)
            .and_then(|a| a.decode_as::<OctetString>().ok());
        let signed_attrs = signer_info
            .signed_attrs
            .as_ref()
            .map(Encode::to_der)
            .transpose()
            .map_err(malformed)?;
        let verifies = match (digest, signed_attrs) {
            (Some(digest), Some(attrs)) => {
                digest.as_bytes() == &Sha256::digest(content.as_bytes())[..]
                    && verify_with(
                        &authority.tbs_certificate.subject_public_key_info,
                        &attrs,
                        signer_info.signature.as_bytes(),
                    )
            }
            _ => false,
        };
        if !verifies {
            return Err(invalid(
                "the timestamp's signature does not verify with the authority's certificate".into(),
            ));
        }
        check_path(authority, &certificates, anchors, time)
            .map_err(|p| invalid(format!("the time-stamping authority: {}", p.message)))
    };
    let problem = checks().err();
    (Some(timestamp), problem)
}

/// The certificates a CMS SignedData carries.
fn certificates_of(signed: &SignedData) -> Vec<Certificate> {
    signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            CertificateChoices::Other(_) => None,
        })
        .collect()
}

/// The certificate of `signer` among `certificates`, named by issuer and serial number.
fn signer_of<'a>(signer: &SignerInfo, certificates: &'a [Certificate]) -> Option<&'a Certificate> {
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer.sid else {
        return None;
    };
    certificates.iter().find(|c| {
        c.tbs_certificate.issuer == sid.issuer
            && c.tbs_certificate.serial_number == sid.serial_number
    })
}

/// Whether `gap` is exactly a PDF hex string (`<` hex digits `>`) holding `contents`.
fn is_hex_string_of(gap: &[u8], contents: &[u8]) -> bool {
    let [b'<', digits @ .., b'>'] = gap else {
        return false;
    };
    digits.len() == contents.len() * 2
        && digits.iter().all(u8::is_ascii_hexdigit)
        && hex::decode(digits).is_ok_and(|decoded| decoded == contents)
}

/// The revision `signed` (the file up to the signature's end) against the whole `document`.
fn check_later_changes(signed: &[u8], document: &Document, verdict: &mut Verdict) {
    let modified = |what: String| {
        Problem::new(
            ProblemKind::ModifiedAfterSigning,
            format!("the document was changed after this signature by {what}"),
        )
    };
    let problem = match pdf_limits::load(signed) {
        Err(e) => modified(format!(
            "an update that cannot be told apart from the signed revision ({e})"
        )),
        Ok(before) => match unexplained_change(&before, document) {
            None => return,
            Some(at) => modified(format!("an update that is not a signature (at {at})")),
        },
    };
    verdict.problems.push(problem);
}

/// A PDF text string: UTF-16BE with a byte-order mark, or PDFDocEncoding (read as Latin-1).
fn decode_text(object: &Object) -> Option<String> {
    let bytes = object.as_str().ok()?;
    match bytes {
        [0xfe, 0xff, rest @ ..] => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => Some(bytes.iter().map(|b| char::from(*b)).collect()),
    }
}

/// `D:YYYYMMDDHHmmSS` with `Z`, or an offset as `+HH'mm'`.
fn parse_pdf_date(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.strip_prefix("D:").unwrap_or(raw);
    let local = NaiveDateTime::parse_from_str(raw.get(..14)?, "%Y%m%d%H%M%S").ok()?;
    let zone = raw.get(14..).unwrap_or("");
    let offset_minutes = match zone.chars().next() {
        None | Some('Z') => 0,
        Some(sign @ ('+' | '-')) => {
            let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
            let hours: i64 = digits.get(..2)?.parse().ok()?;
            let minutes: i64 = digits.get(2..4).unwrap_or("0").parse().ok()?;
            let total = hours * 60 + minutes;
            if sign == '-' { -total } else { total }
        }
        Some(_) => return None,
    };
    Some(local.and_utc() - chrono::Duration::minutes(offset_minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_read_with_their_offset() {
        let utc = parse_pdf_date("D:20261123142000+00'00'").unwrap();
        assert_eq!(utc.to_rfc3339(), "2026-11-23T14:20:00+00:00");
        let hanoi = parse_pdf_date("D:20261123212000+07'00'").unwrap();
        assert_eq!(hanoi, utc);
        assert_eq!(parse_pdf_date("D:20261123142000Z").unwrap(), utc);
        assert!(parse_pdf_date("yesterday").is_none());
    }
}
