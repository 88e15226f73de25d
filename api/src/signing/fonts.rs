//! The font signature appearances are written in (Liberation Serif, metric-compatible with Times
//! New Roman, as the rules on clerical work ask): measuring text, and embedding only the glyphs
//! an appearance uses as a `Type0`/`CIDFontType2` font with a `ToUnicode` map, so the text
//! renders the same everywhere and extracts as the Vietnamese it is.

use std::{collections::BTreeMap, path::Path, sync::Arc};

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("cannot read the font {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("the font has no glyph for {0:?}")]
    MissingGlyph(char),
    #[error("the font cannot be parsed")]
    Corrupt,
    #[error("subsetting the font: {0}")]
    Subset(String),
}

/// A TrueType font, parsed once at start.
#[derive(Clone)]
pub struct Font {
    data: Arc<Vec<u8>>,
    /// The PostScript name, for /BaseFont.
    name: String,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font").field("name", &self.name).finish()
    }
}

impl Font {
    /// The font read from `path` (the caller reads, so it can do so off the runtime).
    pub fn load(path: &Path, read: std::io::Result<Vec<u8>>) -> Result<Self, FontError> {
        let unreadable = |reason: String| FontError::Unreadable {
            path: path.display().to_string(),
            reason,
        };
        let data = read.map_err(|e| unreadable(e.to_string()))?;
        Self::from_bytes(data).map_err(|e| unreadable(e.to_string()))
    }

    pub fn from_bytes(data: Vec<u8>) -> Result<Self, ttf_parser::FaceParsingError> {
        let face = ttf_parser::Face::parse(&data, 0)?;
        let name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .unwrap_or_else(|| "Serif".into())
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        Ok(Self {
            data: Arc::new(data),
            name,
        })
    }

    /// Cheap: ttf-parser reads tables lazily (and this parsed once already at load).
    fn face(&self) -> Result<ttf_parser::Face<'_>, FontError> {
        ttf_parser::Face::parse(&self.data, 0).map_err(|_| FontError::Corrupt)
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> Result<f32, FontError> {
        let face = self.face()?;
        let scale = size / f32::from(face.units_per_em());
        let mut units = 0u32;
        for c in text.nfc() {
            let glyph = face.glyph_index(c).ok_or(FontError::MissingGlyph(c))?;
            units += u32::from(face.glyph_hor_advance(glyph).unwrap_or(0));
        }
        Ok(units as f32 * scale)
    }

    /// How far the tallest glyphs reach above and below the baseline, at `size` points.
    pub fn extent(&self, size: f32) -> Result<(f32, f32), FontError> {
        let face = self.face()?;
        let scale = size / f32::from(face.units_per_em());
        Ok((
            f32::from(face.ascender()) * scale,
            -f32::from(face.descender()) * scale,
        ))
    }
}

/// The texts one appearance shows, gathered before embedding so the subset holds exactly
/// their glyphs; then each text's show-string in the subset's codes.
pub struct Subset<'a> {
    font: &'a Font,
    /// Original glyph id of each (NFC) character used.
    glyphs: BTreeMap<char, u16>,
}

impl<'a> Subset<'a> {
    pub fn new(font: &'a Font) -> Self {
        Self {
            font,
            glyphs: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, text: &str) -> Result<(), FontError> {
        let face = self.font.face()?;
        for c in text.nfc() {
            let glyph = face.glyph_index(c).ok_or(FontError::MissingGlyph(c))?;
            self.glyphs.insert(c, glyph.0);
        }
        Ok(())
    }

    fn remapper(&self) -> subsetter::GlyphRemapper {
        let mut glyphs: Vec<u16> = self.glyphs.values().copied().collect();
        glyphs.sort_unstable();
        glyphs.dedup();
        subsetter::GlyphRemapper::new_from_glyphs_sorted(&glyphs)
    }

    /// `text` as a content-stream hex string of two-byte codes (Identity-H: code = CID = the
    /// glyph's id in the subset).
    pub fn encode(&self, text: &str) -> String {
        let remapper = self.remapper();
        let codes: String = text
            .nfc()
            .filter_map(|c| self.glyphs.get(&c))
            .filter_map(|g| remapper.get(*g))
            .map(|g| format!("{g:04X}"))
            .collect();
        format!("<{codes}>")
    }

    /// Writes the subset font into `document`: the Type0 font's id.
    pub fn embed(&self, document: &mut Document) -> Result<ObjectId, FontError> {
        let face = self.font.face()?;
        let remapper = self.remapper();
        let program = subsetter::subset(&self.font.data, 0, &remapper)
            .map_err(|e| FontError::Subset(e.to_string()))?;
        let per_mille = 1000.0 / f32::from(face.units_per_em());
        let scaled = |v: i16| Object::Integer((f32::from(v) * per_mille).round() as i64);

        // Six capitals from the glyph set, as PDF subset names want (ISO 32000-1, 9.6.4).
        let digest = Sha256::digest(
            self.glyphs
                .values()
                .flat_map(|g| g.to_be_bytes())
                .collect::<Vec<_>>(),
        );
        let tag: String = digest[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        let base_font = Object::Name(format!("{tag}+{}", self.font.name).into_bytes());

        let mut program_stream = Stream::new(
            Dictionary::from_iter([("Length1", Object::Integer(program.len() as i64))]),
            program,
        );
        // Keeps the stream raw when it would not shrink.
        let _ = program_stream.compress();
        let program_id = document.add_object(program_stream);

        let bbox = face.global_bounding_box();
        let descriptor = Dictionary::from_iter([
            ("Type", Object::Name(b"FontDescriptor".to_vec())),
            ("FontName", base_font.clone()),
            // Serif, symbolic (a CID font's glyphs are addressed by CID, not a standard set).
            ("Flags", Object::Integer(6)),
            (
                "FontBBox",
                Object::Array(vec![
                    scaled(bbox.x_min),
                    scaled(bbox.y_min),
                    scaled(bbox.x_max),
                    scaled(bbox.y_max),
                ]),
            ),
            ("ItalicAngle", Object::Integer(0)),
            ("Ascent", scaled(face.ascender())),
            ("Descent", scaled(face.descender())),
            (
                "CapHeight",
                scaled(face.capital_height().unwrap_or(face.ascender())),
            ),
            ("StemV", Object::Integer(80)),
            ("FontFile2", Object::Reference(program_id)),
        ]);
        let descriptor_id = document.add_object(descriptor);

        let mut widths = Vec::new();
        let mut unicode = Vec::new();
        for (c, glyph) in &self.glyphs {
            let Some(new) = remapper.get(*glyph) else {
                continue;
            };
            let advance = face
                .glyph_hor_advance(ttf_parser::GlyphId(*glyph))
                .unwrap_or(0);
            widths.push(Object::Integer(i64::from(new)));
            widths.push(Object::Array(vec![Object::Integer(
                (f32::from(advance) * per_mille).round() as i64,
            )]));
            let utf16: String = c
                .encode_utf16(&mut [0; 2])
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            unicode.push(format!("<{new:04X}> <{utf16}>"));
        }
        let cid_font = Dictionary::from_iter([
            ("Type", Object::Name(b"Font".to_vec())),
            ("Subtype", Object::Name(b"CIDFontType2".to_vec())),
            ("BaseFont", base_font.clone()),
            (
                "CIDSystemInfo",
                Object::Dictionary(Dictionary::from_iter([
                    ("Registry", Object::string_literal("Adobe")),
                    ("Ordering", Object::string_literal("Identity")),
                    ("Supplement", Object::Integer(0)),
                ])),
            ),
            ("FontDescriptor", Object::Reference(descriptor_id)),
            ("W", Object::Array(widths)),
            ("CIDToGIDMap", Object::Name(b"Identity".to_vec())),
        ]);
        let cid_font_id = document.add_object(cid_font);
        let to_unicode_id = document.add_object(Stream::new(
            Dictionary::new(),
            to_unicode_cmap(&unicode).into_bytes(),
        ));
        Ok(document.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Font".to_vec())),
            ("Subtype", Object::Name(b"Type0".to_vec())),
            ("BaseFont", base_font),
            ("Encoding", Object::Name(b"Identity-H".to_vec())),
            (
                "DescendantFonts",
                Object::Array(vec![Object::Reference(cid_font_id)]),
            ),
            ("ToUnicode", Object::Reference(to_unicode_id)),
        ])))
    }
}

/// A ToUnicode CMap (Adobe technical note 5411) from `<code> <utf16>` pairs.
fn to_unicode_cmap(pairs: &[String]) -> String {
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    // At most 100 entries per block.
    for block in pairs.chunks(100) {
        cmap.push_str(&format!("{} beginbfchar\n", block.len()));
        for pair in block {
            cmap.push_str(pair);
            cmap.push('\n');
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    cmap
}
