//! RFC 3161 timestamps (PAdES baseline B-T): the signature value is sent to the time-stamping
//! authority, and its token is added to the CMS as the unsigned `signature-time-stamp-token`
//! attribute, so the signature can be shown to predate its certificate's expiry or revocation.

use std::time::Duration;

use cms::{
    content_info::ContentInfo,
    signed_data::{SignedData, SignerInfo, SignerInfos},
};
use const_oid::ObjectIdentifier;
use der::{
    Any, Decode, Encode,
    asn1::{Int, OctetString, SetOfVec},
};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifier;
use x509_cert::attr::Attribute;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use super::cms::{ID_SHA256, ID_SIGNED_DATA, parse_signed_data};

pub const ID_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// How long a client may wait before trying again when the authority is down.
pub const RETRY_AFTER: Duration = Duration::from_secs(30);
const TIMEOUT: Duration = Duration::from_secs(10);
/// A token larger than this is not a timestamp.
const MAX_REPLY_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum TsaError {
    #[error("the time-stamping authority cannot be reached: {0}")]
    Unreachable(String),
    #[error("the time-stamping authority answered HTTP {0}")]
    Status(u16),
    #[error("the time-stamping authority's answer is not a timestamp: {0}")]
    Garbled(String),
    #[error("the time-stamping authority refused: {0}")]
    Refused(String),
    #[error("adding the timestamp to the signature: {0}")]
    Der(#[from] der::Error),
}

/// The configured authority.
#[derive(Clone, Debug)]
pub struct Tsa {
    url: String,
    http: reqwest::Client,
    /// Without a timestamp no signature is made; else B-B is made and says so.
    pub required: bool,
}

impl Tsa {
    pub fn new(url: String, required: bool) -> Result<Self, reqwest::Error> {
        // reqwest is built without a rustls provider of its own: use ring, as sqlx does.
        // An error only means a provider is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(TIMEOUT)
            .build()?;
        Ok(Self {
            url,
            http,
            required,
        })
    }

    /// A token over `signature` (the SignerInfo's signature value), checked to answer this
    /// request: the right imprint and nonce, granted.
    pub async fn timestamp(&self, signature: &[u8]) -> Result<ContentInfo, TsaError> {
        let imprint = MessageImprint {
            hash_algorithm: AlgorithmIdentifier {
                oid: ID_SHA256,
                parameters: None,
            },
            hashed_message: OctetString::new(Sha256::digest(signature).to_vec())?,
        };
        // Positive: the top bit clear.
        let mut nonce = rand::random::<[u8; 8]>();
        nonce[0] &= 0x7f;
        let nonce = Int::new(&nonce)?;
        let request = TimeStampReq {
            version: TspVersion::V1,
            message_imprint: imprint.clone(),
            req_policy: None,
            nonce: Some(nonce.clone()),
            cert_req: true,
            extensions: None,
        }
        .to_der()?;
        let unreachable = |e: reqwest::Error| TsaError::Unreachable(e.to_string());
        let response = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/timestamp-query")
            .body(request)
            .send()
            .await
            .map_err(unreachable)?;
        if !response.status().is_success() {
            return Err(TsaError::Status(response.status().as_u16()));
        }
        let body = response.bytes().await.map_err(unreachable)?;
        if body.len() > MAX_REPLY_BYTES {
            return Err(TsaError::Garbled("the answer is too large".into()));
        }
        let garbled = |e: der::Error| TsaError::Garbled(e.to_string());
        let reply = TimeStampResp::from_der(&body).map_err(garbled)?;
        use cmpv2::status::PkiStatus;
        if !matches!(
            reply.status.status,
            PkiStatus::Accepted | PkiStatus::GrantedWithMods
        ) {
            return Err(TsaError::Refused(format!("{:?}", reply.status.status)));
        }
        let token = reply
            .time_stamp_token
            .ok_or_else(|| TsaError::Garbled("granted, but no token".into()))?;
        let info = tst_info(&token).map_err(garbled)?;
        if info.message_imprint != imprint || info.nonce.as_ref() != Some(&nonce) {
            return Err(TsaError::Garbled(
                "the token is not for this request (imprint or nonce differ)".into(),
            ));
        }
        Ok(token)
    }
}

/// The TSTInfo a timestamp token carries.
pub fn tst_info(token: &ContentInfo) -> Result<TstInfo, der::Error> {
    let signed: SignedData = if token.content_type == ID_SIGNED_DATA {
        token.content.decode_as()?
    } else {
        return Err(der::ErrorKind::OidUnknown {
            oid: token.content_type,
        }
        .into());
    };
    let content = &signed.encap_content_info;
    if content.econtent_type != ID_CT_TST_INFO {
        return Err(der::ErrorKind::OidUnknown {
            oid: content.econtent_type,
        }
        .into());
    }
    let octets: OctetString = content
        .econtent
        .as_ref()
        .ok_or(der::ErrorKind::Failed)?
        .decode_as()?;
    TstInfo::from_der(octets.as_bytes())
}

/// The signature value of the (only) signer in `cms` (DER ContentInfo): what is timestamped.
pub fn signature_value(cms: &[u8]) -> Result<Vec<u8>, der::Error> {
    let signed = parse_signed_data(cms)?;
    let signer = signed
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or(der::ErrorKind::Failed)?;
    Ok(signer.signature.as_bytes().to_vec())
}

/// `cms` with `token` added to its signer as the signature-time-stamp-token attribute.
pub fn with_timestamp(cms: &[u8], token: &ContentInfo) -> Result<Vec<u8>, der::Error> {
    let mut signed = parse_signed_data(cms)?;
    let attribute = Attribute {
        oid: ID_SIGNATURE_TIME_STAMP_TOKEN,
        values: SetOfVec::try_from(vec![Any::encode_from(token)?])?,
    };
    let signers: Vec<SignerInfo> = signed
        .signer_infos
        .0
        .into_vec()
        .into_iter()
        .map(|mut signer| {
            signer.unsigned_attrs = Some(SetOfVec::try_from(vec![attribute.clone()])?);
            Ok(signer)
        })
        .collect::<Result<_, der::Error>>()?;
    signed.signer_infos = SignerInfos(SetOfVec::try_from(signers)?);
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed)?,
    }
    .to_der()
}

/// The timestamp token on a signer, if any.
pub fn token_of(signer: &SignerInfo) -> Option<Result<ContentInfo, der::Error>> {
    let value = signer
        .unsigned_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid == ID_SIGNATURE_TIME_STAMP_TOKEN)?
        .values
        .iter()
        .next()?;
    Some(value.decode_as())
}
