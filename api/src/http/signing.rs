//! Remote signing: provisioning keys and certificates (admin), the signing PIN, signing
//! requests and their confirmation, and the trust anchors.

use chrono::{DateTime, Utc};
use poem::{Request, web::Data};
use poem_openapi::{
    ApiRequest, ApiResponse, Enum, Object, OpenApi,
    param::Path,
    payload::{Binary, Json},
    types::Example,
};
use secrecy::SecretString;
use uuid::Uuid;

use super::{
    ApiTags,
    anchors::AnchorsResponse,
    error::{Problems, problem_set},
    security::Caller,
    types::{NoContent, example_time, redacted_debug},
};
use crate::{
    domain::InvalidInput,
    services::signing::{self, Confirmation, DocumentSignatures, ImageOf, PinProof, Signed},
    signing::{
        KeyAlgorithm,
        appearance::{Position, Rect},
        verify::{ProblemKind, Verdict},
    },
    state::AppState,
    store::signing::{Credential, SigningRequest},
};

problem_set!(ProvisionProblems: authenticated, InvalidRequest, ValidationFailed, Forbidden, NotFound, HsmUnavailable, IdempotencyKeyInUse, IdempotencyKeyReused);
problem_set!(CertificateProblems: authenticated, InvalidRequest, ValidationFailed, Forbidden, NotFound, SigningCredentialMissing, CertificateRefused, HsmUnavailable);
problem_set!(PinProblems: authenticated, InvalidRequest, ValidationFailed, CurrentPasswordIncorrect, CurrentPinRequired, SigningPinInvalid, SigningLocked, SigningPinNotSet, TooManyAttempts, Busy);
problem_set!(RequestProblems: authenticated, InvalidRequest, ValidationFailed, NotFound, NotYourTask, NotYourTurn, TaskAlreadyDecided, NotForThisTask, SigningCredentialMissing, FileReplaced, PdfNotSignable, PdfTooComplex, IdempotencyKeyInUse, IdempotencyKeyReused);
problem_set!(ConfirmProblems: authenticated, InvalidRequest, ValidationFailed, SigningPinInvalid, SigningLocked, NotFound, NotYourTask, TaskAlreadyDecided, SigningPinNotSet, SigningCredentialMissing, FileReplaced, SigningDigestMismatch, SigningRequestExpired, PdfNotSignable, PdfTooComplex, HsmUnavailable, TsaUnavailable, Busy, IdempotencyKeyInUse, IdempotencyKeyReused);
problem_set!(AnchorProblems: authenticated);
problem_set!(OwnImageProblems: authenticated, InvalidRequest, UnsupportedMediaType, SigningCredentialMissing, PayloadTooLarge, ImageNotPng, ImageOpaque, ImageWrongSize);
problem_set!(ImageProblems: authenticated, InvalidRequest, UnsupportedMediaType, Forbidden, NotFound, SigningCredentialMissing, OrganizationSealMissing, PayloadTooLarge, ImageNotPng, ImageOpaque, ImageWrongSize);

/// The media type of signature and seal images.
pub(super) const IMAGE_PNG: &str = "image/png";

/// A PNG with a transparent background (an alpha channel), at most 1 MB and 16 to 2000 pixels
/// on each side. A seal is printed at its real size, from the resolution the PNG states (its
/// pHYs chunk; 300 dpi without one): it must come out 20 to 60 mm wide.
#[derive(ApiRequest)]
pub enum PngImage {
    #[oai(content_type = "image/png")]
    Png(Binary<Vec<u8>>),
}

impl PngImage {
    fn into_bytes(self) -> Vec<u8> {
        match self {
            PngImage::Png(bytes) => bytes.0,
        }
    }
}
problem_set!(VerifyProblems: authenticated, NotFound, PdfNotSignable, PdfTooComplex, Busy);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "KeyAlgorithm", rename_all = "snake_case")]
pub enum KeyAlgorithmDto {
    Rsa2048,
    EcdsaP256,
}

impl From<KeyAlgorithmDto> for KeyAlgorithm {
    fn from(a: KeyAlgorithmDto) -> Self {
        match a {
            KeyAlgorithmDto::Rsa2048 => KeyAlgorithm::Rsa2048,
            KeyAlgorithmDto::EcdsaP256 => KeyAlgorithm::EcdsaP256,
        }
    }
}

impl From<KeyAlgorithm> for KeyAlgorithmDto {
    fn from(a: KeyAlgorithm) -> Self {
        match a {
            KeyAlgorithm::Rsa2048 => KeyAlgorithmDto::Rsa2048,
            KeyAlgorithm::EcdsaP256 => KeyAlgorithmDto::EcdsaP256,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct ProvisionRequest {
    /// `rsa2048` (default) or `ecdsa_p256`.
    pub algorithm: Option<KeyAlgorithmDto>,
}

impl Example for ProvisionRequest {
    fn example() -> Self {
        Self {
            algorithm: Some(KeyAlgorithmDto::Rsa2048),
        }
    }
}

pub(super) const EXAMPLE_PEM: &str =
    "-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n";

/// A key pair inside the HSM; its private half never leaves it.
#[derive(Debug, Object)]
#[oai(rename = "SigningCredential", example)]
pub struct CredentialView {
    pub id: Uuid,
    pub algorithm: KeyAlgorithmDto,
    /// PKCS#10 request (PEM) to send to the CA; signed by the HSM key.
    pub csr_pem: String,
    /// The certificate (PEM), once issued: at once where the development CA is on, otherwise
    /// after `PUT …/signing-credential/certificate`.
    #[oai(skip_serializing_if_is_none)]
    pub certificate_pem: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Credential> for CredentialView {
    fn from(c: Credential) -> Self {
        Self {
            id: c.id,
            algorithm: c.algorithm.into(),
            csr_pem: c.csr_pem,
            certificate_pem: c.certificate_pem,
            created_at: c.created_at,
        }
    }
}

impl Example for CredentialView {
    fn example() -> Self {
        Self {
            id: Uuid::from_u128(0x5c0d_0000_0000_7000_8000_0000_0000_0001),
            algorithm: KeyAlgorithmDto::Rsa2048,
            csr_pem:
                "-----BEGIN CERTIFICATE REQUEST-----\nMIIC…\n-----END CERTIFICATE REQUEST-----\n"
                    .to_owned(),
            certificate_pem: Some(EXAMPLE_PEM.to_owned()),
            created_at: example_time(),
        }
    }
}

#[derive(ApiResponse)]
pub enum CreatedCredential {
    /// The key exists in the HSM.
    #[oai(status = 201)]
    Created(Json<CredentialView>),
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct CertificateRequest {
    /// The certificate from the CA, PEM, optionally followed by its issuers.
    #[oai(validator(min_length = 1, max_length = 65536))]
    pub certificate_pem: String,
}

impl Example for CertificateRequest {
    fn example() -> Self {
        Self {
            certificate_pem: EXAMPLE_PEM.to_owned(),
        }
    }
}

#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct SigningPinRequest {
    /// The PIN in force: needed to change it. Five wrong ones lock signing, as at signing.
    #[oai(validator(max_length = 12))]
    pub current_pin: Option<String>,
    /// The login password: sets the first PIN, or the first after an admin reset a forgotten
    /// or locked one; refused (403 `current_pin_required`) while a PIN is set.
    #[oai(validator(max_length = 256))]
    pub current_password: Option<String>,
    /// 6 to 12 digits; not the login password.
    #[oai(validator(max_length = 12))]
    pub pin: String,
}

redacted_debug!(SigningPinRequest, ConfirmRequest, BatchConfirmRequest);

impl Example for SigningPinRequest {
    fn example() -> Self {
        Self {
            current_pin: Some("135790".to_owned()),
            current_password: None,
            pin: "246810".to_owned(),
        }
    }
}

/// Where the leader's signature is shown: a page and a rectangle on it, in PDF points (1/72
/// inch). The origin is the lower-left corner of the page's visible area (what a viewer shows:
/// its CropBox, or its MediaBox without one), x grows to the right and y upwards, so a
/// rectangle dragged on screen at `(left, top)` in points from the page's top-left corner has
/// `x = left` and `y = page height - top - height`. On an A4 page (595 x 842 points), the
/// example is the lower right corner, 45 points from the right edge and 60 from the bottom.
/// The signature image is fitted inside, keeping its proportions; without an image, the name
/// and title are written to fit. The rectangle must lie inside the page (422
/// `validation_failed` otherwise).
#[derive(Debug, Clone, Copy, Object)]
#[oai(example, deny_unknown_fields)]
pub struct SignaturePosition {
    /// The page, from 1.
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub page: u32,
    /// From the left edge of the visible area.
    #[oai(validator(minimum(value = "0"), maximum(value = "14400")))]
    pub x: f32,
    /// From the bottom edge of the visible area.
    #[oai(validator(minimum(value = "0"), maximum(value = "14400")))]
    pub y: f32,
    #[oai(validator(minimum(value = "1"), maximum(value = "14400")))]
    pub width: f32,
    #[oai(validator(minimum(value = "1"), maximum(value = "14400")))]
    pub height: f32,
}

impl Example for SignaturePosition {
    fn example() -> Self {
        Self {
            page: 1,
            x: 380.0,
            y: 60.0,
            width: 170.0,
            height: 70.0,
        }
    }
}

impl From<SignaturePosition> for Position {
    fn from(p: SignaturePosition) -> Self {
        Self {
            page: p.page,
            rect: Rect {
                x: p.x,
                y: p.y,
                width: p.width,
                height: p.height,
            },
        }
    }
}

impl From<Position> for SignaturePosition {
    fn from(p: Position) -> Self {
        Self {
            page: p.page,
            x: p.rect.x,
            y: p.rect.y,
            width: p.rect.width,
            height: p.rect.height,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct CreateSigningRequest {
    /// The file version to sign (a document's current version of that file).
    pub file_id: Uuid,
    #[oai(validator(max_length = 255))]
    pub reason: Option<String>,
    #[oai(validator(max_length = 255))]
    pub location: Option<String>,
    /// Where the signature is shown; without it, the lower right of the last page.
    pub position: Option<SignaturePosition>,
}

impl Example for CreateSigningRequest {
    fn example() -> Self {
        Self {
            file_id: Uuid::from_u128(0xf11e_0000_0000_7000_8000_0000_0000_0001),
            reason: Some("Ký ban hành".to_owned()),
            location: Some("Đà Lạt".to_owned()),
            position: Some(SignaturePosition::example()),
        }
    }
}

#[derive(Debug, Object)]
#[oai(rename = "SigningRequest", example)]
pub struct SigningRequestView {
    pub id: Uuid,
    pub task_id: Uuid,
    pub file_id: Uuid,
    /// SHA-256 (hex) of the pinned file version: the bytes the signature will cover, all of
    /// them, unchanged (the signature is appended as an incremental update). The app can hash
    /// the file it showed the leader and compare before asking for the PIN.
    pub digest: String,
    /// Confirm before this instant.
    pub expires_at: DateTime<Utc>,
    /// Where the signature will be shown, as asked; absent for the default place.
    #[oai(skip_serializing_if_is_none)]
    pub position: Option<SignaturePosition>,
}

impl From<SigningRequest> for SigningRequestView {
    fn from(r: SigningRequest) -> Self {
        Self {
            id: r.id,
            task_id: r.task_id,
            file_id: r.file_id,
            digest: r.file_sha256,
            expires_at: r.expires_at,
            position: r.position.map(Into::into),
        }
    }
}

impl Example for SigningRequestView {
    fn example() -> Self {
        Self {
            id: Uuid::from_u128(0x5169_0000_0000_7000_8000_0000_0000_0001),
            task_id: Uuid::from_u128(0x7a5c_0000_0000_7000_8000_0000_0000_0001),
            file_id: Uuid::from_u128(0xf11e_0000_0000_7000_8000_0000_0000_0001),
            digest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
            expires_at: example_time(),
            position: Some(SignaturePosition::example()),
        }
    }
}

#[derive(ApiResponse)]
pub enum CreatedSigningRequest {
    /// Waiting for the PIN.
    #[oai(status = 201)]
    Created(Json<SigningRequestView>),
}

#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct ConfirmRequest {
    #[oai(validator(max_length = 12))]
    pub pin: String,
    /// The `digest` of the signing request, as the app showed it to the leader: the PIN
    /// authorises exactly those bytes (409 `signing_digest_mismatch` otherwise).
    #[oai(validator(max_length = 64))]
    pub digest: String,
}

impl Example for ConfirmRequest {
    fn example() -> Self {
        Self {
            pin: "246810".to_owned(),
            digest: SigningRequestView::example().digest,
        }
    }
}

/// One signing request of a batch, with the digest the app showed for it.
#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct BatchItem {
    pub id: Uuid,
    #[oai(validator(max_length = 64))]
    pub digest: String,
}

impl Example for BatchItem {
    fn example() -> Self {
        let request = SigningRequestView::example();
        Self {
            id: request.id,
            digest: request.digest,
        }
    }
}

#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct BatchConfirmRequest {
    /// Signing requests of the caller, made from this session.
    #[oai(validator(min_items = 1, max_items = 50))]
    pub requests: Vec<BatchItem>,
    #[oai(validator(max_length = 12))]
    pub pin: String,
}

impl Example for BatchConfirmRequest {
    fn example() -> Self {
        Self {
            requests: vec![BatchItem::example()],
            pin: "246810".to_owned(),
        }
    }
}

/// A signature made: the signed PDF is a new version of the file.
#[derive(Debug, Object)]
#[oai(rename = "Signature", example)]
pub struct SignedView {
    pub request_id: Uuid,
    pub signature_id: Uuid,
    pub document_id: Uuid,
    /// The new, signed version of the file.
    pub file_id: Uuid,
    pub signed_at: DateTime<Utc>,
    /// The signature carries a trusted timestamp (PAdES B-T). False when no time-stamping
    /// authority is configured, or when it was down and `TSA_REQUIRED=false` let the signature
    /// be made without one (B-B).
    pub timestamped: bool,
}

impl From<Signed> for SignedView {
    fn from(s: Signed) -> Self {
        Self {
            request_id: s.request_id,
            signature_id: s.signature.id,
            document_id: s.signature.document_id,
            file_id: s.signature.file_id,
            signed_at: s.signature.signed_at,
            timestamped: s.signature.timestamped,
        }
    }
}

impl Example for SignedView {
    fn example() -> Self {
        Self {
            request_id: SigningRequestView::example().id,
            signature_id: Uuid::from_u128(0x5197_0000_0000_7000_8000_0000_0000_0001),
            document_id: Uuid::from_u128(0x0d0c_0000_0000_7000_8000_0000_0000_0001),
            file_id: Uuid::from_u128(0xf11e_0000_0000_7000_8000_0000_0000_0002),
            signed_at: example_time(),
            timestamped: true,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct SignedBatch {
    /// In the order of the request's `requests`.
    pub items: Vec<SignedView>,
}

impl Example for SignedBatch {
    fn example() -> Self {
        Self {
            items: vec![SignedView::example()],
        }
    }
}

/// What kind of check a signature failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "SignatureProblemCode", rename_all = "snake_case")]
pub enum SignatureProblemCode {
    /// The signature dictionary, its CMS or the file's structure cannot be read as one.
    Malformed,
    /// The /ByteRange does not fit the file or leaves out more than the /Contents string.
    ByteRange,
    /// The signed bytes were changed (message digest mismatch).
    DigestMismatch,
    /// The CMS signature does not verify with the signer's certificate.
    SignatureInvalid,
    /// The certificate does not chain through certification authorities to a trust anchor.
    Untrusted,
    /// A certificate on the path was not valid at the signing time.
    CertificateNotValid,
    /// Something other than a later signature changed the document after this signature.
    ModifiedAfterSigning,
    /// The signature's timestamp is not over this signature, its signature does not verify, or
    /// its authority's certificate does not chain to a trust anchor.
    TimestampInvalid,
}

impl From<ProblemKind> for SignatureProblemCode {
    fn from(kind: ProblemKind) -> Self {
        match kind {
            ProblemKind::Malformed => Self::Malformed,
            ProblemKind::ByteRange => Self::ByteRange,
            ProblemKind::DigestMismatch => Self::DigestMismatch,
            ProblemKind::SignatureInvalid => Self::SignatureInvalid,
            ProblemKind::Untrusted => Self::Untrusted,
            ProblemKind::CertificateNotValid => Self::CertificateNotValid,
            ProblemKind::ModifiedAfterSigning => Self::ModifiedAfterSigning,
            ProblemKind::TimestampInvalid => Self::TimestampInvalid,
        }
    }
}

/// One failed check of a signature.
#[derive(Debug, Object)]
#[oai(rename = "SignatureProblem")]
pub struct SignatureProblemView {
    pub code: SignatureProblemCode,
    /// What failed, in a sentence to show.
    pub message: String,
}

/// The trusted time on a signature (an RFC 3161 signature timestamp, PAdES B-T).
#[derive(Debug, Object)]
#[oai(rename = "SignatureTimestamp")]
pub struct TimestampView {
    /// When the time-stamping authority saw the signature: the signature existed then. The
    /// certificates are checked at this time rather than at the signer's own claim.
    pub time: DateTime<Utc>,
    /// The authority's certificate subject (RFC 4514).
    #[oai(skip_serializing_if_is_none)]
    pub authority: Option<String>,
}

/// One signature of a PDF, as checked by this server.
#[derive(Debug, Object)]
#[oai(rename = "SignatureCheck")]
pub struct SignatureCheckView {
    /// The PDF signature field's name.
    pub field: String,
    /// The signer's name as the signature dictionary gives it.
    #[oai(skip_serializing_if_is_none)]
    pub signer_name: Option<String>,
    /// The signer certificate's subject (RFC 4514).
    #[oai(skip_serializing_if_is_none)]
    pub certificate_subject: Option<String>,
    /// The signer certificate's serial number, hex.
    #[oai(skip_serializing_if_is_none)]
    pub certificate_serial: Option<String>,
    /// The signing time the PDF claims (/M).
    #[oai(skip_serializing_if_is_none)]
    pub signed_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub location: Option<String>,
    /// Whether it covers every byte of the file; an earlier signature does not cover the later
    /// signatures appended after it, which leaves it valid.
    pub covers_whole_file: bool,
    /// The signature's timestamp, when it carries one; checked (`timestamp_invalid` in
    /// `problems` when it does not hold).
    #[oai(skip_serializing_if_is_none)]
    pub timestamp: Option<TimestampView>,
    /// The document was changed after this signature by something other than a later
    /// signature (a page added or redrawn, an annotation...): show it as "modified after
    /// signing". Also listed in `problems` as `modified_after_signing`.
    pub modified_after_signing: bool,
    /// Byte ranges exactly around the signature, CMS signature correct, certificate chained
    /// through CAs to a trust anchor and valid at the signing time, and no change after it
    /// but later signatures.
    pub valid: bool,
    /// Why it is not valid, one per failed check; empty when valid.
    pub problems: Vec<SignatureProblemView>,
}

impl From<Verdict> for SignatureCheckView {
    fn from(v: Verdict) -> Self {
        Self {
            valid: v.valid(),
            modified_after_signing: v.modified_after_signing(),
            field: v.found.field,
            signer_name: v.found.signer_name,
            certificate_subject: v.signer_subject,
            certificate_serial: v.signer_serial,
            signed_at: v.found.signing_time,
            reason: v.found.reason,
            location: v.found.location,
            covers_whole_file: v.covers_whole_file,
            timestamp: v.timestamp.map(|t| TimestampView {
                time: t.time,
                authority: t.authority,
            }),
            problems: v
                .problems
                .into_iter()
                .map(|p| SignatureProblemView {
                    code: p.kind.into(),
                    message: p.message,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct SignatureChecks {
    /// The current version of the main PDF, which was checked.
    pub file_id: Uuid,
    /// The file carries at least one signature and every one is valid: the document is as
    /// its signers left it.
    pub valid: bool,
    /// In the order the PDF lists them: the leader's signature, then the seal.
    pub items: Vec<SignatureCheckView>,
}

impl From<DocumentSignatures> for SignatureChecks {
    fn from(d: DocumentSignatures) -> Self {
        let items: Vec<SignatureCheckView> = d.verdicts.into_iter().map(Into::into).collect();
        Self {
            file_id: d.file_id,
            valid: !items.is_empty() && items.iter().all(|i| i.valid),
            items,
        }
    }
}

impl Example for SignatureChecks {
    fn example() -> Self {
        Self {
            file_id: Uuid::from_u128(0xf11e_0000_0000_7000_8000_0000_0000_0002),
            valid: true,
            items: vec![SignatureCheckView {
                field: "Signature1".to_owned(),
                signer_name: Some("Nguyễn Văn An".to_owned()),
                certificate_subject: Some("CN=Nguyễn Văn An,O=Tỉnh ủy Lâm Đồng".to_owned()),
                certificate_serial: Some("4f1c9a0b2d3e4f5a6b7c8d9e0f1a2b3c".to_owned()),
                signed_at: Some(example_time()),
                reason: Some("Ký ban hành".to_owned()),
                location: Some("Đà Lạt".to_owned()),
                covers_whole_file: true,
                timestamp: Some(TimestampView {
                    time: example_time(),
                    authority: Some("CN=TSA,O=Ban Cơ yếu Chính phủ".to_owned()),
                }),
                modified_after_signing: false,
                valid: true,
                problems: Vec::new(),
            }],
        }
    }
}

pub struct SigningApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Signing")]
impl SigningApi {
    /// Create a user's signing key
    ///
    /// For admins: generates the user's key pair inside the HSM (not extractable) and answers
    /// its certificate request; with the development CA on, its certificate too. Creating
    /// again replaces the user's key for new signatures.
    #[oai(
        path = "/admin/users/:id/signing-credential",
        method = "post",
        operation_id = "createUserSigningCredential"
    )]
    async fn provision_user(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<ProvisionRequest>,
    ) -> Result<CreatedCredential, Problems<ProvisionProblems>> {
        let algorithm = body.0.algorithm.unwrap_or(KeyAlgorithmDto::Rsa2048).into();
        let credential = signing::provision_user(&state, caller.0, id.0, algorithm).await?;
        Ok(CreatedCredential::Created(Json(credential.into())))
    }

    /// Install a user's certificate
    ///
    /// For admins: the certificate the CA issued for the CSR. Refused unless it is for the
    /// user's HSM key and valid now.
    #[oai(
        path = "/admin/users/:id/signing-credential/certificate",
        method = "put",
        operation_id = "installUserCertificate"
    )]
    async fn install_certificate(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<CertificateRequest>,
    ) -> Result<Json<CredentialView>, Problems<CertificateProblems>> {
        let credential =
            signing::install_certificate(&state, caller.0, id.0, &body.0.certificate_pem).await?;
        Ok(Json(credential.into()))
    }

    /// Create an organisation's seal key
    ///
    /// For admins: the organisation's own key, which signs documents at issuance.
    #[oai(
        path = "/admin/organizations/:id/signing-credential",
        method = "post",
        operation_id = "createOrganizationSigningCredential"
    )]
    async fn provision_organization(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<ProvisionRequest>,
    ) -> Result<CreatedCredential, Problems<ProvisionProblems>> {
        let algorithm = body.0.algorithm.unwrap_or(KeyAlgorithmDto::Rsa2048).into();
        let credential = signing::provision_organization(&state, caller.0, id.0, algorithm).await?;
        Ok(CreatedCredential::Created(Json(credential.into())))
    }

    /// Set a person's signature image
    ///
    /// For admins: the image of the person's handwritten signature (blue ink on a transparent
    /// background), shown where they sign from now on, fitted into the rectangle the app
    /// chose. It is kept with the person's signing key (so the key must be created first)
    /// and carried over when the key is created again.
    #[oai(
        path = "/admin/users/:id/signing-credential/image",
        method = "put",
        operation_id = "setUserSignatureImage"
    )]
    async fn set_user_image(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: PngImage,
    ) -> Result<NoContent, Problems<ImageProblems>> {
        signing::set_image(&state, caller.0, ImageOf::User(id.0), body.into_bytes()).await?;
        Ok(NoContent::Done)
    }

    /// Set my signature image
    ///
    /// The caller's own handwritten signature, as `PUT /admin/users/{id}/signing-credential/image`
    /// sets it for an admin.
    #[oai(
        path = "/me/signature-image",
        method = "put",
        operation_id = "setMySignatureImage"
    )]
    async fn set_own_image(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        body: PngImage,
    ) -> Result<NoContent, Problems<OwnImageProblems>> {
        signing::set_image(&state, caller.0, ImageOf::Me, body.into_bytes()).await?;
        Ok(NoContent::Done)
    }

    /// Set an organisation's seal image
    ///
    /// For admins: the seal (red on a transparent background) shown at issuance at its real
    /// size, over the left third of the signer's signature, with the organisation's name and
    /// the signing time. Kept with the organisation's seal key, so that must exist first.
    /// Until it is set, the seal's signature is made without anything shown.
    #[oai(
        path = "/admin/organizations/:id/signing-credential/image",
        method = "put",
        operation_id = "setOrganizationSealImage"
    )]
    async fn set_seal_image(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: PngImage,
    ) -> Result<NoContent, Problems<ImageProblems>> {
        signing::set_image(
            &state,
            caller.0,
            ImageOf::Organization(id.0),
            body.into_bytes(),
        )
        .await?;
        Ok(NoContent::Done)
    }

    /// Set the signing PIN
    ///
    /// Sets or changes the PIN that authorises each signature; it is not the login password.
    /// The first PIN is set with the login password; changing it needs the current PIN. A
    /// forgotten or locked PIN is reset by an admin, after which the password sets a new one.
    /// A new PIN never clears the count of wrong PINs, nor a lock.
    #[oai(
        path = "/me/signing-pin",
        method = "put",
        operation_id = "setSigningPin"
    )]
    async fn set_pin(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        body: Json<SigningPinRequest>,
    ) -> Result<NoContent, Problems<PinProblems>> {
        let body = body.0;
        let proof = match (body.current_pin, body.current_password) {
            (Some(pin), _) => PinProof::CurrentPin(SecretString::from(pin)),
            (None, Some(password)) => PinProof::Password(SecretString::from(password)),
            (None, None) => {
                return Err(InvalidInput::new(
                    "current_pin",
                    "is required, or current_password for a first PIN",
                )
                .into());
            }
        };
        signing::set_pin(&state, caller.0, proof, SecretString::from(body.pin)).await?;
        Ok(NoContent::Done)
    }

    /// Ask to sign
    ///
    /// On the caller's waiting `sign` task: pins the file version to sign and answers its
    /// digest; confirm with the PIN before `expires_at`, from this session. `position` places
    /// the visible signature (the signer's uploaded signature image, else their name and
    /// title); without it, the lower right of the last page.
    #[oai(
        path = "/tasks/:id/signing-requests",
        method = "post",
        operation_id = "createSigningRequest"
    )]
    async fn create_request(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<CreateSigningRequest>,
    ) -> Result<CreatedSigningRequest, Problems<RequestProblems>> {
        let body = body.0;
        let request = signing::create_request(
            &state,
            caller.0,
            id.0,
            body.file_id,
            body.reason,
            body.location,
            body.position.map(Into::into),
        )
        .await?;
        Ok(CreatedSigningRequest::Created(Json(request.into())))
    }

    /// Sign
    ///
    /// Confirms a signing request with the PIN: the HSM signs, the signed PDF becomes a new
    /// version of the file, the task is signed and the author notified. Wrong PIN: 403
    /// `signing_pin_invalid`, and nothing changes; five in a row lock signing (403
    /// `signing_locked`) until an admin unlocks the account. Confirming again answers the
    /// first signature.
    #[oai(
        path = "/signing-requests/:id/confirm",
        method = "post",
        operation_id = "confirmSigningRequest"
    )]
    async fn confirm(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<ConfirmRequest>,
    ) -> Result<Json<SignedView>, Problems<ConfirmProblems>> {
        let body = body.0;
        let confirmation = Confirmation {
            request: id.0,
            digest: body.digest,
        };
        let signed = signing::confirm(
            &state,
            caller.0,
            &[confirmation],
            SecretString::from(body.pin),
        )
        .await?;
        let first = signed.into_iter().next().ok_or_else(|| {
            super::error::ApiError::unexpected(&anyhow::anyhow!("confirm answered nothing"))
        })?;
        Ok(Json(first.into()))
    }

    /// Sign several
    ///
    /// Confirms several of the caller's signing requests with one PIN entry; each is signed as
    /// by `confirm`, in order. A failure stops the batch: the ones before it stay signed.
    #[oai(
        path = "/signing-requests/confirm",
        method = "post",
        operation_id = "confirmSigningRequests"
    )]
    async fn confirm_batch(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        body: Json<BatchConfirmRequest>,
    ) -> Result<Json<SignedBatch>, Problems<ConfirmProblems>> {
        let body = body.0;
        let confirmations: Vec<_> = body
            .requests
            .into_iter()
            .map(|r| Confirmation {
                request: r.id,
                digest: r.digest,
            })
            .collect();
        let signed = signing::confirm(
            &state,
            caller.0,
            &confirmations,
            SecretString::from(body.pin),
        )
        .await?;
        Ok(Json(SignedBatch {
            items: signed.into_iter().map(Into::into).collect(),
        }))
    }

    /// Check a document's signatures
    ///
    /// Verifies every signature in the current version of the main PDF: byte ranges exactly
    /// around the signature, CMS signature, certificate chain through CAs to the trust anchors,
    /// validity at the signing time, and that nothing but later signatures changed the document
    /// after each one; says why one fails. Checked once per file version and kept; while too
    /// many checks wait, 503 `busy` with Retry-After.
    #[oai(
        path = "/documents/:id/signatures",
        method = "get",
        operation_id = "documentSignatures"
    )]
    async fn signatures(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
    ) -> Result<Json<SignatureChecks>, Problems<VerifyProblems>> {
        Ok(Json(
            signing::signatures(&state, caller.0, id.0).await?.into(),
        ))
    }

    /// Trust anchors
    ///
    /// The CA certificates (PEM) that signatures made here chain to: give them to a validator.
    /// Ask for `application/x-pem-file` to get them as one PEM file, ready to save as `ca.pem`.
    #[oai(
        path = "/signing/trust-anchors",
        method = "get",
        operation_id = "signingTrustAnchors"
    )]
    async fn trust_anchors(
        &self,
        state: Data<&AppState>,
        _caller: Caller,
        req: &Request,
    ) -> Result<AnchorsResponse, Problems<AnchorProblems>> {
        Ok(AnchorsResponse::negotiate(
            req,
            signing::trust_anchors(&state)?,
        ))
    }
}
