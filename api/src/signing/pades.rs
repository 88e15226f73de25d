//! PAdES embedding: a signature is appended to the PDF as an incremental update (so the bytes
//! of earlier revisions, and the signatures over them, stay untouched) holding a signature
//! field whose widgets show the signature's [`Look`]s through their own appearance streams, a new
//! catalog whose /AcroForm lists the field, and a signature dictionary whose /Contents is a
//! placeholder. [`prepare`] writes the update and computes the digest of everything but that
//! placeholder; [`Prepared::finish`] puts the CMS in. The update is written apart from the
//! original ([`super::update`]) and reads only its structure, never its streams' data: the
//! signed file is the stored original followed by the update, streamed, so signing a 50 MB
//! scan holds the update (kilobytes) and the parsed structure, never copies of the file.

use chrono::{DateTime, Utc};
use lopdf::{Dictionary, Document, IncrementalDocument, Object, ObjectId, StringFormat};
use sha2::Digest;

use super::{
    appearance::{AppearanceError, Look, Placed, Rect},
    fonts::Font,
    update,
};
use crate::files::pdf_limits::{self, Exceeded, LoadError, Source};

/// Room for the DER SignedData (signer certificate and chain included).
pub const CONTENTS_CAPACITY: usize = 16 * 1024;
/// Wide enough for any offset below 10 GB, so patching it never moves a byte.
const BYTE_RANGE_PLACEHOLDER: i64 = 9_999_999_999;

#[derive(Debug, thiserror::Error)]
pub enum PadesError {
    #[error("the file is not a PDF this server can sign: {0}")]
    Unreadable(String),
    #[error("the PDF is too complex to process safely: {0}")]
    TooComplex(Exceeded),
    #[error("the PDF has no pages")]
    NoPages,
    #[error("the signature ({0} bytes) does not fit its placeholder")]
    SignatureTooLarge(usize),
    #[error("writing the signed PDF: {0}")]
    Write(String),
    #[error(transparent)]
    Appearance(#[from] AppearanceError),
}

impl From<LoadError> for PadesError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::TooComplex(exceeded) => Self::TooComplex(exceeded),
            other => Self::Unreadable(other.to_string()),
        }
    }
}

/// What the signature dictionary says about the signing, besides the CMS.
#[derive(Clone, Debug)]
pub struct SignatureInfo {
    pub signer_name: String,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub signing_time: DateTime<Utc>,
}

/// The update that signs a PDF, with its signature placeholder waiting for the CMS. The signed
/// file is the original followed by [`Prepared::finish`]'s bytes.
pub struct Prepared {
    /// SHA-256 of the original: what was signed is what was pinned.
    original_sha256: [u8; 32],
    /// SHA-256 over the signed byte ranges: everything but the /Contents hex string.
    digest: [u8; 32],
    update: Vec<u8>,
    /// Offsets in `update` of the `<` and one past the `>` of the /Contents hex string.
    contents: (usize, usize),
}

impl Prepared {
    pub fn original_sha256(&self) -> [u8; 32] {
        self.original_sha256
    }

    /// SHA-256 over the signed byte ranges: everything but the /Contents hex string.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The bytes to append to the original, with `cms` (DER SignedData) hex-encoded into the
    /// placeholder.
    pub fn finish(mut self, cms: &[u8]) -> Result<Vec<u8>, PadesError> {
        let hex = hex::encode_upper(cms);
        let (start, end) = self.contents;
        let room = &mut self.update[start + 1..end - 1];
        if hex.len() > room.len() {
            return Err(PadesError::SignatureTooLarge(cms.len()));
        }
        room[..hex.len()].copy_from_slice(hex.as_bytes());
        Ok(self.update)
    }
}

/// The visible area (CropBox, else MediaBox) of each page of `pdf`, in page order.
pub fn page_areas<'a>(pdf: impl Into<Source<'a>>) -> Result<Vec<Rect>, PadesError> {
    let document = pdf_limits::load_structure(pdf)?;
    Ok(visible_areas(&document))
}

fn visible_areas(document: &Document) -> Vec<Rect> {
    document
        .get_pages()
        .values()
        .map(|page| {
            let media = inherited_box(document, *page, b"MediaBox");
            let crop = inherited_box(document, *page, b"CropBox");
            // A CropBox outside the MediaBox is clipped to it (ISO 32000-1, 14.11.2).
            match (media, crop) {
                (Some(m), Some(c)) => {
                    let (x, y) = (c.x.max(m.x), c.y.max(m.y));
                    Rect {
                        x,
                        y,
                        width: ((c.x + c.width).min(m.x + m.width) - x).max(0.0),
                        height: ((c.y + c.height).min(m.y + m.height) - y).max(0.0),
                    }
                }
                (Some(b), None) | (None, Some(b)) => b,
                // US Letter, the default a reader assumes.
                (None, None) => Rect {
                    x: 0.0,
                    y: 0.0,
                    width: 612.0,
                    height: 792.0,
                },
            }
        })
        .collect()
}

/// A page box, looked up through the page tree as the attribute is inheritable.
fn inherited_box(document: &Document, page: ObjectId, key: &[u8]) -> Option<Rect> {
    let mut node = document.get_dictionary(page).ok()?;
    // The depth bound guards against a cyclic page tree.
    for _ in 0..32 {
        if let Ok(value) = node.get(key) {
            let numbers: Vec<f32> = document
                .dereference(value)
                .ok()?
                .1
                .as_array()
                .ok()?
                .iter()
                .filter_map(|n| document.dereference(n).ok()?.1.as_float().ok())
                .collect();
            let [x0, y0, x1, y1] = numbers[..] else {
                return None;
            };
            return Some(Rect {
                x: x0.min(x1),
                y: y0.min(y1),
                width: (x1 - x0).abs(),
                height: (y1 - y0).abs(),
            });
        }
        let parent = node.get(b"Parent").and_then(Object::as_reference).ok()?;
        node = document.get_dictionary(parent).ok()?;
    }
    None
}

/// The latest signature already in the document with a visible widget: where it is.
fn latest_visible_signature(
    document: &Document,
    catalog_id: ObjectId,
    pages: &std::collections::BTreeMap<u32, ObjectId>,
) -> Option<Placed> {
    existing_fields(document, catalog_id)
        .iter()
        .rev()
        .filter_map(|f| document.dereference(f).ok()?.1.as_dict().ok())
        .filter(|f| {
            f.get(b"FT")
                .and_then(Object::as_name)
                .is_ok_and(|n| n == b"Sig")
        })
        // A field with several widgets (a seal with stamps) shows its signature on the first.
        .filter_map(
            |field| match field.get(b"Kids").and_then(Object::as_array) {
                Ok(kids) => document.dereference(kids.first()?).ok()?.1.as_dict().ok(),
                Err(_) => Some(field),
            },
        )
        .filter_map(|widget| {
            let corners: Vec<f32> = widget
                .get(b"Rect")
                .ok()?
                .as_array()
                .ok()?
                .iter()
                .filter_map(|n| n.as_float().ok())
                .collect();
            let [x0, y0, x1, y1] = corners[..] else {
                return None;
            };
            let page_id = widget.get(b"P").and_then(Object::as_reference).ok()?;
            let page = pages.iter().find(|(_, id)| **id == page_id)?.0;
            let rect = Rect {
                x: x0.min(x1),
                y: y0.min(y1),
                width: (x1 - x0).abs(),
                height: (y1 - y0).abs(),
            };
            (rect.width > 0.0 && rect.height > 0.0).then_some(Placed { page: *page, rect })
        })
        .next()
}

/// The incremental update that appends a signature field, its widgets and placeholder to `pdf`.
/// Each of `looks` (written in `font`) is a widget of the field: the first is the signature's
/// own, beside which a later seal goes; more are stamps on attachments bound into the file.
/// Without looks the field has one widget that shows nothing.
pub fn prepare<'a>(
    pdf: impl Into<Source<'a>>,
    info: &SignatureInfo,
    appearance: Option<(&[Look], &Font)>,
) -> Result<Prepared, PadesError> {
    let unreadable = |e: lopdf::Error| PadesError::Unreadable(e.to_string());
    let pdf = pdf.into();
    let original = pdf.sha256();
    let previous = pdf_limits::load_structure(pdf)?;
    let kind = previous.reference_table.cross_reference_type;
    let catalog_id = previous
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(unreadable)?;
    let pages = previous.get_pages();
    let mut placed = Vec::new();
    if let Some((looks, font)) = appearance {
        let areas = visible_areas(&previous);
        let earlier = latest_visible_signature(&previous, catalog_id, &pages);
        for look in looks {
            placed.push((look, font, look.place(font, &areas, earlier)?));
        }
    }
    let field_name = unused_field_name(&previous, catalog_id);
    let mut update = IncrementalDocument::create_from(Vec::new(), previous);

    let mut signature = Dictionary::new();
    signature.set("Type", Object::Name(b"Sig".to_vec()));
    signature.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    signature.set("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec()));
    signature.set(
        "ByteRange",
        Object::Array(vec![
            Object::Integer(0),
            Object::Integer(BYTE_RANGE_PLACEHOLDER),
            Object::Integer(BYTE_RANGE_PLACEHOLDER),
            Object::Integer(BYTE_RANGE_PLACEHOLDER),
        ]),
    );
    signature.set(
        "Contents",
        Object::String(vec![0; CONTENTS_CAPACITY], StringFormat::Hexadecimal),
    );
    signature.set(
        "M",
        Object::String(
            info.signing_time
                .format("D:%Y%m%d%H%M%S+00'00'")
                .to_string()
                .into_bytes(),
            StringFormat::Literal,
        ),
    );
    signature.set("Name", text(&info.signer_name));
    if let Some(reason) = &info.reason {
        signature.set("Reason", text(reason));
    }
    if let Some(location) = &info.location {
        signature.set("Location", text(location));
    }
    let signature_id = update.new_document.add_object(signature);

    let mut field = Dictionary::new();
    field.set("FT", Object::Name(b"Sig".to_vec()));
    field.set("T", text(&field_name));
    field.set("V", Object::Reference(signature_id));
    let widget = |page_id: ObjectId| {
        let mut widget = Dictionary::new();
        widget.set("Type", Object::Name(b"Annot".to_vec()));
        widget.set("Subtype", Object::Name(b"Widget".to_vec()));
        // Print + Locked.
        widget.set("F", Object::Integer(132));
        widget.set("P", Object::Reference(page_id));
        widget
    };
    let page_of = |number: u32| pages.get(&number).copied().ok_or(PadesError::NoPages);
    let mut widgets = Vec::with_capacity(placed.len().max(1));
    for (look, font, at) in placed {
        let mut widget = widget(page_of(at.page)?);
        let form = look.draw(font, &at.rect, &mut update.new_document)?;
        widget.set("Rect", at.rect.to_pdf());
        widget.set(
            "AP",
            Object::Dictionary(Dictionary::from_iter([("N", Object::Reference(form))])),
        );
        widgets.push(widget);
    }
    if widgets.is_empty() {
        let mut unseen = widget(page_of(1)?);
        unseen.set(
            "Rect",
            Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
        );
        widgets.push(unseen);
    }
    let field_id = if let [only] = &widgets[..] {
        // One widget: the field and its widget are one dictionary, as signing tools write it.
        let mut merged = only.clone();
        merged.extend(&field);
        let id = update.new_document.add_object(merged);
        add_annotation(&mut update, widget_page(only)?, id)?;
        id
    } else {
        // Several: one field, its widgets as kids (ISO 32000-1, 12.7.3.1). They carry no
        // /Parent: poppler (22.x, as Debian ships it) takes a kid with one for a field of its
        // own and reports the signature unsigned; pyHanko and readers know them by /Kids.
        let field_id = update.new_document.new_object_id();
        let mut kids = Vec::with_capacity(widgets.len());
        for widget in widgets {
            let page = widget_page(&widget)?;
            let id = update.new_document.add_object(widget);
            add_annotation(&mut update, page, id)?;
            kids.push(Object::Reference(id));
        }
        field.set("Kids", Object::Array(kids));
        update.new_document.set_object(field_id, field);
        field_id
    };
    add_field(&mut update, catalog_id, field_id)?;

    let original_len = pdf.len() as u64;
    let mut bytes = update::write(
        &update.new_document,
        kind,
        original_len,
        pdf.last().copied(),
    )
    .map_err(|e| PadesError::Write(e.to_string()))?;
    let contents = find_placeholder(&bytes)?;
    patch_byte_range(&mut bytes, original_len, contents)?;
    let digest = original
        .clone()
        .chain_update(&bytes[..contents.0])
        .chain_update(&bytes[contents.1..])
        .finalize()
        .into();
    Ok(Prepared {
        original_sha256: original.finalize().into(),
        digest,
        update: bytes,
        contents,
    })
}

/// The page a widget of ours is on.
fn widget_page(widget: &Dictionary) -> Result<ObjectId, PadesError> {
    widget
        .get(b"P")
        .and_then(Object::as_reference)
        .map_err(|e| PadesError::Write(e.to_string()))
}

/// A PDF text string in UTF-16BE with its byte-order mark: names are Vietnamese.
fn text(value: &str) -> Object {
    let mut bytes = vec![0xfe, 0xff];
    bytes.extend(value.encode_utf16().flat_map(u16::to_be_bytes));
    Object::String(bytes, StringFormat::Hexadecimal)
}

fn existing_fields(document: &Document, catalog_id: ObjectId) -> Vec<Object> {
    let Ok(catalog) = document.get_dictionary(catalog_id) else {
        return Vec::new();
    };
    let Ok((_, form)) = catalog
        .get(b"AcroForm")
        .and_then(|f| document.dereference(f))
    else {
        return Vec::new();
    };
    form.as_dict()
        .and_then(|form| form.get(b"Fields"))
        .and_then(|fields| document.dereference(fields))
        .and_then(|(_, fields)| fields.as_array())
        .cloned()
        .unwrap_or_default()
}

fn unused_field_name(document: &Document, catalog_id: ObjectId) -> String {
    let taken: Vec<Vec<u8>> = existing_fields(document, catalog_id)
        .iter()
        .filter_map(|f| document.dereference(f).ok())
        .filter_map(|(_, f)| f.as_dict().ok()?.get(b"T").ok()?.as_str().ok())
        .map(<[u8]>::to_vec)
        .collect();
    (1..)
        .map(|n| format!("Signature{n}"))
        .find(|name| {
            let utf16 = match text(name) {
                Object::String(bytes, _) => bytes,
                _ => Vec::new(),
            };
            !taken
                .iter()
                .any(|t| t.as_slice() == name.as_bytes() || *t == utf16)
        })
        .unwrap_or_default()
}

/// A new revision of the page with the widget in its /Annots (which may be inline, an indirect
/// array, or absent).
fn add_annotation(
    update: &mut IncrementalDocument,
    page_id: ObjectId,
    widget_id: ObjectId,
) -> Result<(), PadesError> {
    let broken = |e: lopdf::Error| PadesError::Unreadable(e.to_string());
    update
        .opt_clone_object_to_new_document(page_id)
        .map_err(broken)?;
    let annots = update
        .new_document
        .get_dictionary(page_id)
        .map_err(broken)?
        .get(b"Annots")
        .ok()
        .cloned();
    match annots {
        Some(Object::Reference(array_id)) => {
            update
                .opt_clone_object_to_new_document(array_id)
                .map_err(broken)?;
            update
                .new_document
                .get_object_mut(array_id)
                .and_then(Object::as_array_mut)
                .map_err(broken)?
                .push(Object::Reference(widget_id));
        }
        other => {
            let mut array = other
                .and_then(|a| a.as_array().ok().cloned())
                .unwrap_or_default();
            array.push(Object::Reference(widget_id));
            update
                .new_document
                .get_dictionary_mut(page_id)
                .map_err(broken)?
                .set("Annots", Object::Array(array));
        }
    }
    Ok(())
}

/// A new revision of the catalog (and of its /AcroForm when that is an object of its own) that
/// lists the field, with /SigFlags 3 (signatures exist; append only).
fn add_field(
    update: &mut IncrementalDocument,
    catalog_id: ObjectId,
    widget_id: ObjectId,
) -> Result<(), PadesError> {
    let broken = |e: lopdf::Error| PadesError::Unreadable(e.to_string());
    let mut fields = existing_fields(update.get_prev_documents(), catalog_id);
    fields.push(Object::Reference(widget_id));
    update
        .opt_clone_object_to_new_document(catalog_id)
        .map_err(broken)?;
    let form = update
        .new_document
        .get_dictionary(catalog_id)
        .map_err(broken)?
        .get(b"AcroForm")
        .ok()
        .cloned();
    let mut form_dict = match &form {
        Some(Object::Reference(id)) => update
            .get_prev_documents()
            .get_dictionary(*id)
            .cloned()
            .unwrap_or_default(),
        Some(Object::Dictionary(d)) => d.clone(),
        _ => Dictionary::new(),
    };
    form_dict.set("Fields", Object::Array(fields));
    form_dict.set("SigFlags", Object::Integer(3));
    match form {
        Some(Object::Reference(id)) => {
            update
                .new_document
                .set_object(id, Object::Dictionary(form_dict));
        }
        _ => {
            update
                .new_document
                .get_dictionary_mut(catalog_id)
                .map_err(broken)?
                .set("AcroForm", Object::Dictionary(form_dict));
        }
    }
    Ok(())
}

/// Finds the /Contents placeholder in the update (a page's own /Contents is a reference, never
/// this long run of zeros).
fn find_placeholder(bytes: &[u8]) -> Result<(usize, usize), PadesError> {
    let mut needle = Vec::with_capacity(CONTENTS_CAPACITY * 2 + 2);
    needle.push(b'<');
    needle.resize(CONTENTS_CAPACITY * 2 + 1, b'0');
    needle.push(b'>');
    let start = memchr::memmem::find(bytes, &needle)
        .ok_or_else(|| PadesError::Write("no /Contents placeholder in the update".into()))?;
    Ok((start, start + needle.len()))
}

/// Writes the real /ByteRange over its placeholder in `update` (which follows `original_len`
/// bytes), padded with spaces to the same width.
fn patch_byte_range(
    update: &mut [u8],
    original_len: u64,
    (start, end): (usize, usize),
) -> Result<(), PadesError> {
    let placeholder = format!("[0 {p} {p} {p}]", p = BYTE_RANGE_PLACEHOLDER);
    let at = memchr::memmem::find(update, placeholder.as_bytes())
        .ok_or_else(|| PadesError::Write("no /ByteRange placeholder in the update".into()))?;
    let (total, start, end) = (
        original_len + update.len() as u64,
        original_len + start as u64,
        original_len + end as u64,
    );
    let actual = format!("[0 {start} {end} {}]", total - end);
    let padded = format!("{actual:<width$}", width = placeholder.len());
    update[at..at + placeholder.len()].copy_from_slice(padded.as_bytes());
    Ok(())
}
