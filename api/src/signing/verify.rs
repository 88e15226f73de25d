//! Checking the signatures a PDF carries, as a validator would: the byte ranges, the CMS
//! signature over the signed attributes, the message digest against the signed bytes, the
//! certificate chain up to a trust anchor, and the certificate's validity at the claimed
//! signing time. Each failed check is reported in words, so a client can say why.

use chrono::{DateTime, NaiveDateTime, Utc};
use cms::{cert::CertificateChoices, signed_data::SignerIdentifier};
use der::{Encode, asn1::OctetString};
use lopdf::{Document, Object};
use sha2::{Digest, Sha256};
use signature::Verifier;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;

use super::{
    ca::valid_at,
    cms::{ID_MESSAGE_DIGEST, RSA_ENCRYPTION, SHA256_WITH_RSA},
    pades::PadesError,
};

/// A signature field's value as found in the PDF.
#[derive(Debug, Clone)]
pub struct FoundSignature {
    pub field: String,
    pub byte_range: Vec<i64>,
    pub contents: Vec<u8>,
    pub signer_name: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub signing_time: Option<DateTime<Utc>>,
}

/// The outcome for one signature: valid when `problems` is empty.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub found: FoundSignature,
    pub signer_subject: Option<String>,
    pub signer_serial: Option<String>,
    /// Whether the signature covers every byte of the file (it is the latest revision, or
    /// only signature-preserving updates came after it were this false).
    pub covers_whole_file: bool,
    pub problems: Vec<String>,
}

impl Verdict {
    pub fn valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The signature fields of `pdf` that hold a value, in field order.
pub fn find_signatures(pdf: &[u8]) -> Result<Vec<FoundSignature>, PadesError> {
    let document = Document::load_mem(pdf).map_err(|e| PadesError::Unreadable(e.to_string()))?;
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
    Ok(found)
}

/// Checks `found` against the bytes of `pdf` and the trust `anchors`.
pub fn verify(pdf: &[u8], found: FoundSignature, anchors: &[Certificate]) -> Verdict {
    let mut verdict = Verdict {
        found,
        signer_subject: None,
        signer_serial: None,
        covers_whole_file: false,
        problems: Vec::new(),
    };
    if let Err(problem) = check(pdf, &mut verdict, anchors) {
        verdict.problems.push(problem);
    }
    verdict
}

fn check(pdf: &[u8], verdict: &mut Verdict, anchors: &[Certificate]) -> Result<(), String> {
    let range: Vec<usize> = verdict
        .found
        .byte_range
        .iter()
        .filter_map(|n| usize::try_from(*n).ok())
        .collect();
    let [start, first_len, second_start, second_len] = range[..] else {
        return Err("the /ByteRange is not four offsets".into());
    };
    let end = second_start
        .checked_add(second_len)
        .filter(|end| start == 0 && first_len <= second_start && *end <= pdf.len())
        .ok_or("the /ByteRange does not fit the file")?;
    verdict.covers_whole_file = end == pdf.len();
    let mut hasher = Sha256::new();
    hasher.update(&pdf[..first_len]);
    hasher.update(&pdf[second_start..end]);
    let digest: [u8; 32] = hasher.finalize().into();

    let signed_data = super::cms::parse_signed_data(&verdict.found.contents)
        .map_err(|e| format!("/Contents is not a CMS SignedData: {e}"))?;
    let signer_info = signed_data
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or("the CMS holds no signer")?;
    let certificates: Vec<Certificate> = signed_data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer_info.sid else {
        return Err("the signer is not named by issuer and serial number".into());
    };
    let signer = certificates
        .iter()
        .find(|c| {
            c.tbs_certificate.issuer == sid.issuer
                && c.tbs_certificate.serial_number == sid.serial_number
        })
        .ok_or("the signer's certificate is not in the signature")?;
    verdict.signer_subject = Some(signer.tbs_certificate.subject.to_string());
    verdict.signer_serial = Some(hex::encode(signer.tbs_certificate.serial_number.as_bytes()));

    let claimed = super::cms::signed_attribute(signer_info, ID_MESSAGE_DIGEST)
        .and_then(|a| a.decode_as::<OctetString>().ok())
        .ok_or("the signature has no message-digest attribute")?;
    if claimed.as_bytes() != digest {
        verdict
            .problems
            .push("the signed bytes were changed after signing (message digest mismatch)".into());
    }
    let signed_attrs = signer_info
        .signed_attrs
        .as_ref()
        .ok_or("the signature has no signed attributes")?
        .to_der()
        .map_err(|e| e.to_string())?;
    if !verify_with(
        &signer.tbs_certificate.subject_public_key_info,
        &signed_attrs,
        signer_info.signature.as_bytes(),
    ) {
        verdict
            .problems
            .push("the CMS signature does not verify with the signer's certificate".into());
    }
    if !chains_to_anchor(signer, &certificates, anchors) {
        verdict
            .problems
            .push("the certificate does not chain to a trust anchor".into());
    }
    let at = verdict
        .found
        .signing_time
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    if !valid_at(signer, at) {
        verdict
            .problems
            .push("the certificate was not valid at the signing time".into());
    }
    Ok(())
}

/// Walks issuers (from the CMS certificates) up to an anchor, verifying each link's signature.
fn chains_to_anchor(leaf: &Certificate, pool: &[Certificate], anchors: &[Certificate]) -> bool {
    let mut current = leaf.clone();
    // A short bound: real chains here are leaf, maybe an intermediate, root.
    for _ in 0..4 {
        let issued_by = |issuer: &Certificate| {
            issuer.tbs_certificate.subject == current.tbs_certificate.issuer
                && current.tbs_certificate.to_der().is_ok_and(|tbs| {
                    current.signature.as_bytes().is_some_and(|sig| {
                        verify_with(&issuer.tbs_certificate.subject_public_key_info, &tbs, sig)
                    })
                })
        };
        if anchors.iter().any(issued_by) {
            return true;
        }
        match pool.iter().find(|c| *c != &current && issued_by(c)) {
            Some(issuer) => current = issuer.clone(),
            None => return false,
        }
    }
    false
}

/// Verifies a SHA-256 signature (RSA PKCS#1 v1.5 or ECDSA P-256) over `data`.
fn verify_with(spki: &SubjectPublicKeyInfoOwned, data: &[u8], signature: &[u8]) -> bool {
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
