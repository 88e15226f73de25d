//! Detached CMS SignedData for PAdES (`ETSI.CAdES.detached`): the signed attributes are
//! content-type, message-digest and ESS signing-certificate-v2 (PAdES baseline forbids the
//! signing-time attribute; the time is the PDF's /M), and they are signed inside the HSM.

use cms::{
    cert::{CertificateChoices, IssuerAndSerialNumber},
    content_info::{CmsVersion, ContentInfo},
    signed_data::{
        CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier,
        SignerInfo, SignerInfos,
    },
};
use const_oid::ObjectIdentifier;
use der::{
    Any, Encode, Sequence,
    asn1::{OctetString, SetOfVec},
};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::{
    Certificate, attr::Attribute, ext::pkix::name::GeneralName, serial_number::SerialNumber,
};

use super::hsm::{Hsm, HsmError, KeyAlgorithm};

pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
pub const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
pub const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
pub const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
pub const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
pub const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

#[derive(Debug, thiserror::Error)]
pub enum CmsError {
    #[error(transparent)]
    Hsm(#[from] HsmError),
    #[error("encoding the signature: {0}")]
    Der(#[from] der::Error),
}

/// Who signs: the HSM key and the certificates that go with it.
#[derive(Clone, Debug)]
pub struct SignerCredential {
    pub key_label: String,
    pub algorithm: KeyAlgorithm,
    pub certificate: Certificate,
    /// Issuers up to (and including) the root, embedded so validators can build the chain.
    pub chain: Vec<Certificate>,
}

/// ESS `SigningCertificateV2` (RFC 5035) with one ESSCertIDv2; its hash algorithm is the
/// default, SHA-256, so it is left out as DER requires.
#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

#[derive(Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
    issuer_serial: IssuerSerial,
}

#[derive(Sequence)]
struct IssuerSerial {
    issuer: Vec<GeneralName>,
    serial_number: SerialNumber,
}

/// The SignedData (DER of a ContentInfo) over content whose SHA-256 is `content_digest`.
pub async fn sign_detached(
    hsm: &dyn Hsm,
    signer: &SignerCredential,
    content_digest: [u8; 32],
) -> Result<Vec<u8>, CmsError> {
    let certificate = &signer.certificate;
    let tbs = &certificate.tbs_certificate;
    let ess = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(Sha256::digest(certificate.to_der()?).to_vec())?,
            issuer_serial: IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(tbs.issuer.clone())],
                serial_number: tbs.serial_number.clone(),
            },
        }],
    };
    let attribute = |oid, value: Any| -> Result<Attribute, der::Error> {
        Ok(Attribute {
            oid,
            values: SetOfVec::try_from(vec![value])?,
        })
    };
    let signed_attrs: SignedAttributes = SetOfVec::try_from(vec![
        attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(content_digest.to_vec())?)?,
        )?,
        attribute(ID_SIGNING_CERTIFICATE_V2, Any::encode_from(&ess)?)?,
    ])?;
    // What is signed is the DER of the attributes as a SET (RFC 5652, 5.4).
    let to_sign: [u8; 32] = Sha256::digest(signed_attrs.to_der()?).into();
    let signature = hsm.sign_digest(&signer.key_label, to_sign).await?;
    let signature_algorithm = match signer.algorithm {
        KeyAlgorithm::Rsa2048 => AlgorithmIdentifierOwned {
            oid: RSA_ENCRYPTION,
            parameters: Some(Any::null()),
        },
        KeyAlgorithm::EcdsaP256 => AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        },
    };
    let sha256 = AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: None,
    };
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer.clone(),
            serial_number: tbs.serial_number.clone(),
        }),
        digest_alg: sha256.clone(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm,
        signature: OctetString::new(signature)?,
        unsigned_attrs: None,
    };
    let certificates = std::iter::once(certificate)
        .chain(&signer.chain)
        .map(|c| CertificateChoices::Certificate(c.clone()))
        .collect::<Vec<_>>();
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(certificates)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    Ok(ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed_data)?,
    }
    .to_der()?)
}

/// Parses a ContentInfo holding SignedData, ignoring the zero padding a PDF's /Contents
/// placeholder leaves after it.
pub fn parse_signed_data(contents: &[u8]) -> Result<SignedData, der::Error> {
    let mut reader = der::SliceReader::new(contents)?;
    let info: ContentInfo = der::Decode::decode(&mut reader)?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(der::ErrorKind::OidUnknown {
            oid: info.content_type,
        }
        .into());
    }
    info.content.decode_as()
}

/// The value of a signed attribute, if present.
pub fn signed_attribute(info: &SignerInfo, oid: ObjectIdentifier) -> Option<&Any> {
    info.signed_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid == oid)?
        .values
        .iter()
        .next()
}
