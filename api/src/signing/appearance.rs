//! What a signature looks like on the page, as the decree on clerical work (ND 30/2020,
//! Appendix I) lays it out: the signer's handwritten signature image (or their name and title)
//! at the position the app chose; the organisation's seal at its real size over the left third
//! of the signer's image, with the organisation's name and the signing time; and, on
//! attachments, a text stamp top right of their first page with the document's number and the
//! signing time: page 1 of an appendix uploaded as a file of its own, or the page where an
//! attachment bound into the main PDF begins ([`AttachmentPages`]). [`Look::place`] decides
//! where on which page; [`Look::draw`] writes the appearance stream (a form XObject, the
//! widget's `/AP /N`) so the page content stays untouched.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use super::{
    super::domain::InvalidInput,
    fonts::{Font, FontError, Subset},
    images::Png,
};

/// Text in the seal's and the stamp's appearance, as the decree asks: 10 pt, black.
const TEXT_SIZE: f32 = 10.0;
const LINE_GAP: f32 = 2.0;
/// The ink of a handwritten signature and of a seal.
const BLUE: [f32; 3] = [0.05, 0.15, 0.75];
const BLACK: [f32; 3] = [0.0, 0.0, 0.0];
/// The default signing position: lower right of the last page, clear of a 20 mm margin.
const DEFAULT_SIGNATURE: (f32, f32) = (170.0, 70.0);
const MARGIN: f32 = 56.7;
/// The attachment stamp's distance from the page's top and right edges.
const STAMP_MARGIN: f32 = 20.0;

/// Vietnam's offset from UTC (ICT, no daylight saving).
pub fn vietnam_time(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    // 7 hours is always a valid offset.
    at.with_timezone(&FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| unreachable!()))
}

/// ISO 8601 with the Vietnam offset: `2026-12-01T21:45:03+07:00`.
pub fn iso_time(at: DateTime<Utc>) -> String {
    vietnam_time(at).to_rfc3339_opts(SecondsFormat::Secs, false)
}

#[derive(Debug, thiserror::Error)]
pub enum AppearanceError {
    #[error("page {0} does not exist (the document has {1})")]
    NoSuchPage(u32, usize),
    #[error("the rectangle is not inside page {0} ({1} x {2} points)")]
    OutsidePage(u32, f32, f32),
    #[error(transparent)]
    Font(#[from] FontError),
}

/// A rectangle in PDF points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Rect {
    fn right(&self) -> f32 {
        self.x + self.width
    }
    fn top(&self) -> f32 {
        self.y + self.height
    }
    fn union(&self, other: &Rect) -> Rect {
        let (x, y) = (self.x.min(other.x), self.y.min(other.y));
        Rect {
            x,
            y,
            width: self.right().max(other.right()) - x,
            height: self.top().max(other.top()) - y,
        }
    }
    /// Moved by the least amount that puts it inside `page` (when it fits at all).
    fn pushed_into(mut self, page: &Rect) -> Rect {
        self.x = self.x.min(page.right() - self.width).max(page.x);
        self.y = self.y.min(page.top() - self.height).max(page.y);
        self
    }
    pub fn to_pdf(self) -> Object {
        Object::Array(
            [self.x, self.y, self.right(), self.top()]
                .into_iter()
                .map(Object::Real)
                .collect(),
        )
    }
}

/// Where the app asked the signature to go: a page (from 1) and a rectangle whose origin is the
/// lower-left corner of that page's visible area (its CropBox, or MediaBox without one), x to
/// the right and y up, in points (1/72 inch). On an A4 page (595 x 842), `x 380, y 60, width
/// 170, height 70` is the lower right corner, 45 points from the right edge.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Position {
    pub page: u32,
    pub rect: Rect,
}

impl Position {
    /// The position on the page, in the page's own coordinates; refused unless it is inside.
    /// `pages` are the visible areas of the document's pages.
    pub fn resolve(&self, pages: &[Rect]) -> Result<(u32, Rect), AppearanceError> {
        let page = usize::try_from(self.page)
            .ok()
            .and_then(|p| p.checked_sub(1))
            .and_then(|p| pages.get(p))
            .ok_or(AppearanceError::NoSuchPage(self.page, pages.len()))?;
        let r = self.rect;
        let inside = r.x >= 0.0
            && r.y >= 0.0
            && r.width > 0.0
            && r.height > 0.0
            && r.right() <= page.width
            && r.top() <= page.height;
        if !inside {
            return Err(AppearanceError::OutsidePage(
                self.page,
                page.width,
                page.height,
            ));
        }
        Ok((
            self.page,
            Rect {
                x: page.x + r.x,
                y: page.y + r.y,
                ..r
            },
        ))
    }
}

/// The pages of the main PDF where attachments bound into it (văn bản kèm theo cùng tệp tin)
/// begin, each to get the stamp: from 2 (page 1 starts the document itself), ascending, each
/// once. Whether each exists is known only against the file ([`AppearanceError::NoSuchPage`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttachmentPages(Vec<u32>);

impl AttachmentPages {
    /// More than any real document binds in: a list past it is a mistake, not a document.
    pub const MAX: usize = 200;

    pub fn parse(mut pages: Vec<u32>) -> Result<Self, InvalidInput> {
        let invalid = |reason: String| InvalidInput::new("attachment_pages", reason);
        if pages.len() > Self::MAX {
            return Err(invalid(format!("lists more than {} pages", Self::MAX)));
        }
        if let Some(first) = pages.iter().find(|p| **p < 2) {
            return Err(invalid(format!(
                "page {first} cannot start an attachment: pages count from 1, and page 1 starts \
                 the document itself"
            )));
        }
        pages.sort_unstable();
        pages.dedup();
        Ok(Self(pages))
    }

    pub fn pages(&self) -> &[u32] {
        &self.0
    }
}

/// One signature's appearance.
#[derive(Clone, Debug)]
pub enum Look {
    /// The person who signs: their signature image, or a text block with name and title.
    Signer {
        image: Option<Png>,
        name: String,
        title: String,
        position: Option<Position>,
    },
    /// The organisation's seal at issuance, next to the signer's signature.
    Seal {
        image: Png,
        organization: String,
        signed_at: DateTime<Utc>,
    },
    /// On an attachment's first page (from 1): the document's number and symbol and the
    /// signing time.
    Stamp {
        reference: String,
        signed_at: DateTime<Utc>,
        page: u32,
    },
}

/// A look placed: the page (from 1) and the widget's rectangle in page coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placed {
    pub page: u32,
    pub rect: Rect,
}

impl Look {
    /// Where this look goes, given the visible areas of the pages and the latest visible
    /// signature already on the document (a seal goes beside it).
    pub fn place(
        &self,
        font: &Font,
        pages: &[Rect],
        earlier: Option<Placed>,
    ) -> Result<Placed, AppearanceError> {
        let last = pages.len();
        let page_rect = |page: usize| pages.get(page.saturating_sub(1)).copied();
        let default_signature = || {
            let page = page_rect(last)?;
            let (w, h) = DEFAULT_SIGNATURE;
            Some(Placed {
                page: last as u32,
                rect: Rect {
                    x: page.right() - MARGIN - w,
                    y: page.y + MARGIN,
                    width: w,
                    height: h,
                }
                .pushed_into(&page),
            })
        };
        let no_page = || AppearanceError::NoSuchPage(1, 0);
        match self {
            Look::Signer {
                image, position, ..
            } => {
                let (page, rect) = match position {
                    Some(position) => position.resolve(pages)?,
                    None => {
                        let placed = default_signature().ok_or_else(no_page)?;
                        (placed.page, placed.rect)
                    }
                };
                // The widget is the image's own box, so a seal can find the image later.
                let rect = match image {
                    Some(image) => fit(image, &rect),
                    None => rect,
                };
                Ok(Placed { page, rect })
            }
            Look::Seal { image, .. } => {
                let signer = earlier.or_else(default_signature).ok_or_else(no_page)?;
                let page = page_rect(signer.page as usize).ok_or_else(no_page)?;
                let (w, h) = image.physical_size();
                let seal = Rect {
                    x: signer.rect.x + signer.rect.width / 3.0 - w,
                    y: signer.rect.y + (signer.rect.height - h) / 2.0,
                    width: w,
                    height: h,
                };
                let (_, (width, height)) = self.text_block(font)?;
                let below = Rect {
                    x: seal.x,
                    y: seal.y - height,
                    width,
                    height,
                };
                Ok(Placed {
                    page: signer.page,
                    rect: seal.union(&below).pushed_into(&page),
                })
            }
            Look::Stamp { page: number, .. } => {
                let page = usize::try_from(*number)
                    .ok()
                    .filter(|n| *n >= 1)
                    .and_then(page_rect)
                    .ok_or(AppearanceError::NoSuchPage(*number, last))?;
                let (_, (width, height)) = self.text_block(font)?;
                Ok(Placed {
                    page: *number,
                    rect: Rect {
                        x: page.right() - STAMP_MARGIN - width,
                        y: page.top() - STAMP_MARGIN - height,
                        width,
                        height,
                    }
                    .pushed_into(&page),
                })
            }
        }
    }

    /// The lines of text this look shows, and their block's size at [`TEXT_SIZE`].
    fn text_block(&self, font: &Font) -> Result<(Vec<String>, (f32, f32)), FontError> {
        let lines = match self {
            Look::Signer { name, title, .. } => vec![name.clone(), title.clone()],
            Look::Seal {
                organization,
                signed_at,
                ..
            } => vec![organization.clone(), iso_time(*signed_at)],
            Look::Stamp {
                reference,
                signed_at,
                ..
            } => vec![reference.clone(), iso_time(*signed_at)],
        };
        let lines: Vec<String> = lines.into_iter().filter(|l| !l.is_empty()).collect();
        let mut width: f32 = 0.0;
        for line in &lines {
            width = width.max(font.width(line, TEXT_SIZE)?);
        }
        let (ascent, descent) = font.extent(TEXT_SIZE)?;
        let height = lines.len() as f32 * (ascent + descent + LINE_GAP);
        Ok((lines, (width.ceil() + 2.0, height.ceil())))
    }

    /// Writes the appearance stream for a widget of `rect`'s size into `document`.
    pub fn draw(
        &self,
        font: &Font,
        rect: &Rect,
        document: &mut Document,
    ) -> Result<ObjectId, AppearanceError> {
        let mut content = String::new();
        let mut images = Dictionary::new();
        let mut fonts = Dictionary::new();
        let mut text = |lines: &[String],
                        color: [f32; 3],
                        size: f32,
                        origin: (f32, f32),
                        width: Option<f32>,
                        document: &mut Document|
         -> Result<String, AppearanceError> {
            let mut subset = Subset::new(font);
            for line in lines {
                subset.add(line)?;
            }
            let (ascent, descent) = font.extent(size)?;
            let step = ascent + descent + LINE_GAP * size / TEXT_SIZE;
            let [r, g, b] = color;
            let mut ops = format!("BT /F0 {size:.2} Tf {r} {g} {b} rg\n");
            let mut y = origin.1 - ascent;
            for line in lines {
                // Centred in `width` when given, else left-aligned.
                let x = match width {
                    Some(w) => origin.0 + (w - font.width(line, size)?) / 2.0,
                    None => origin.0,
                };
                ops.push_str(&format!(
                    "1 0 0 1 {x:.2} {y:.2} Tm {} Tj\n",
                    subset.encode(line)
                ));
                y -= step;
            }
            ops.push_str("ET\n");
            fonts.set("F0", Object::Reference(subset.embed(document)?));
            Ok(ops)
        };
        match self {
            Look::Signer {
                image: Some(image), ..
            } => {
                images.set("Im0", Object::Reference(image.embed(document)));
                content.push_str(&format!(
                    "q {:.2} 0 0 {:.2} 0 0 cm /Im0 Do Q\n",
                    rect.width, rect.height
                ));
            }
            Look::Signer { image: None, .. } => {
                let (lines, (width, _)) = self.text_block(font)?;
                // Shrunk to fit the box the app chose, never grown past 12 pt.
                let (ascent, descent) = font.extent(TEXT_SIZE)?;
                let line_height = ascent + descent + LINE_GAP;
                let size = (TEXT_SIZE * (rect.width - 4.0) / width)
                    .min(TEXT_SIZE * rect.height / (line_height * lines.len() as f32))
                    .min(12.0);
                let block = lines.len() as f32 * line_height * size / TEXT_SIZE;
                let top = rect.height - (rect.height - block) / 2.0;
                content.push_str(&text(
                    &lines,
                    BLUE,
                    size,
                    (0.0, top),
                    Some(rect.width),
                    document,
                )?);
            }
            Look::Seal { image, .. } => {
                let (w, h) = image.physical_size();
                let (lines, (_, text_height)) = self.text_block(font)?;
                images.set("Im0", Object::Reference(image.embed(document)));
                // The seal above its text, at the top left of the widget.
                content.push_str(&format!(
                    "q {w:.2} 0 0 {h:.2} 0 {:.2} cm /Im0 Do Q\n",
                    rect.height - h
                ));
                content.push_str(&text(
                    &lines,
                    BLACK,
                    TEXT_SIZE,
                    (1.0, text_height),
                    None,
                    document,
                )?);
            }
            Look::Stamp { .. } => {
                let (lines, _) = self.text_block(font)?;
                content.push_str(&text(
                    &lines,
                    BLACK,
                    TEXT_SIZE,
                    (1.0, rect.height),
                    None,
                    document,
                )?);
            }
        }
        let mut resources = Dictionary::new();
        if !images.is_empty() {
            resources.set("XObject", Object::Dictionary(images));
        }
        if !fonts.is_empty() {
            resources.set("Font", Object::Dictionary(fonts));
        }
        let mut form = Stream::new(
            Dictionary::from_iter([
                ("Type", Object::Name(b"XObject".to_vec())),
                ("Subtype", Object::Name(b"Form".to_vec())),
                (
                    "BBox",
                    Rect {
                        x: 0.0,
                        y: 0.0,
                        ..*rect
                    }
                    .to_pdf(),
                ),
                ("Resources", Object::Dictionary(resources)),
            ]),
            content.into_bytes(),
        );
        let _ = form.compress();
        Ok(document.add_object(form))
    }
}

/// The largest box of `image`'s proportions inside `within`, centred.
fn fit(image: &Png, within: &Rect) -> Rect {
    let aspect = image.width as f32 / image.height as f32;
    let (width, height) = if within.width / within.height > aspect {
        (within.height * aspect, within.height)
    } else {
        (within.width, within.width / aspect)
    };
    Rect {
        x: within.x + (within.width - width) / 2.0,
        y: within.y + (within.height - height) / 2.0,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A4: Rect = Rect {
        x: 0.0,
        y: 0.0,
        width: 595.0,
        height: 842.0,
    };

    #[test]
    fn a_position_is_relative_to_the_visible_area_and_must_be_inside_it() {
        let cropped = Rect {
            x: 10.0,
            y: 20.0,
            ..A4
        };
        let rect = Rect {
            x: 380.0,
            y: 60.0,
            width: 170.0,
            height: 70.0,
        };
        let at = Position { page: 2, rect }.resolve(&[A4, cropped]).unwrap();
        assert_eq!(
            at,
            (
                2,
                Rect {
                    x: 390.0,
                    y: 80.0,
                    ..rect
                }
            )
        );
        let outside = Position {
            page: 1,
            rect: Rect { x: 500.0, ..rect },
        };
        assert!(matches!(
            outside.resolve(&[A4]),
            Err(AppearanceError::OutsidePage(1, ..))
        ));
        assert!(matches!(
            Position { page: 3, rect }.resolve(&[A4]),
            Err(AppearanceError::NoSuchPage(3, 1))
        ));
        assert!(matches!(
            Position { page: 0, rect }.resolve(&[A4]),
            Err(AppearanceError::NoSuchPage(0, 1))
        ));
    }

    #[test]
    fn times_are_shown_in_vietnam_time() {
        let utc = DateTime::parse_from_rfc3339("2026-12-01T14:45:03Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(iso_time(utc), "2026-12-01T21:45:03+07:00");
    }
}
