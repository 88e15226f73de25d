//! The images shown in signature appearances: a person's handwritten signature and an
//! organisation's seal, PNG with a transparent background. Checked once when uploaded (a real
//! PNG, of a sane size, with transparency), and written into a PDF as an RGB image with its
//! alpha channel as a soft mask.

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

/// Larger uploads are refused before decoding.
pub const MAX_PNG_BYTES: usize = 1024 * 1024;
/// The longest side, in pixels: a 40 mm seal at 600 dpi is about 950.
const MAX_SIDE: u32 = 2000;
const MIN_SIDE: u32 = 16;
/// Assumed when the PNG does not say (no pHYs chunk).
pub const DEFAULT_DPI: f32 = 300.0;
const POINTS_PER_METRE: f32 = 72.0 / 0.0254;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("is larger than {} KB", MAX_PNG_BYTES / 1024)]
    TooLarge,
    #[error("is not a PNG image")]
    NotPng,
    #[error("must be between {MIN_SIDE} and {MAX_SIDE} pixels on each side")]
    BadSize,
    #[error("must have a transparent background (an alpha channel)")]
    Opaque,
    #[error("must be between {0} and {1} mm wide at the resolution the PNG states")]
    BadPhysicalSize(u32, u32),
}

/// A decoded PNG: 8-bit RGB with a separate 8-bit alpha channel.
#[derive(Clone, Debug)]
pub struct Png {
    pub width: u32,
    pub height: u32,
    rgb: Vec<u8>,
    alpha: Vec<u8>,
    /// Pixels per metre, from the pHYs chunk.
    pixels_per_metre: Option<(u32, u32)>,
}

impl Png {
    /// Decodes `bytes`, refusing anything but a PNG of sane size with transparency.
    pub fn parse(bytes: &[u8]) -> Result<Self, ImageError> {
        if bytes.len() > MAX_PNG_BYTES {
            return Err(ImageError::TooLarge);
        }
        let mut decoder = png::Decoder::new_with_limits(
            std::io::Cursor::new(bytes),
            png::Limits {
                bytes: (MAX_SIDE * MAX_SIDE * 8) as usize,
            },
        );
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let header = decoder.read_header_info().map_err(|_| ImageError::NotPng)?;
        if !(MIN_SIDE..=MAX_SIDE).contains(&header.width)
            || !(MIN_SIDE..=MAX_SIDE).contains(&header.height)
        {
            return Err(ImageError::BadSize);
        }
        let mut reader = decoder.read_info().map_err(|_| ImageError::NotPng)?;
        let pixels_per_metre = reader
            .info()
            .pixel_dims
            .filter(|d| d.unit == png::Unit::Meter && d.xppu > 0 && d.yppu > 0)
            .map(|d| (d.xppu, d.yppu));
        let size = reader.output_buffer_size().ok_or(ImageError::BadSize)?;
        let mut buffer = vec![0; size];
        let frame = reader
            .next_frame(&mut buffer)
            .map_err(|_| ImageError::NotPng)?;
        let pixels = (frame.width * frame.height) as usize;
        let data = &buffer[..frame.buffer_size()];
        let (rgb, alpha): (Vec<u8>, Vec<u8>) = match frame.color_type {
            png::ColorType::Rgba => (
                data.chunks_exact(4)
                    .flat_map(|p| [p[0], p[1], p[2]])
                    .collect(),
                data.chunks_exact(4).map(|p| p[3]).collect(),
            ),
            png::ColorType::GrayscaleAlpha => (
                data.chunks_exact(2).flat_map(|p| [p[0]; 3]).collect(),
                data.chunks_exact(2).map(|p| p[1]).collect(),
            ),
            _ => return Err(ImageError::Opaque),
        };
        if rgb.len() != pixels * 3 || alpha.iter().all(|a| *a == u8::MAX) {
            return Err(ImageError::Opaque);
        }
        Ok(Self {
            width: frame.width,
            height: frame.height,
            rgb,
            alpha,
            pixels_per_metre,
        })
    }

    /// The printed size in points: at the PNG's stated resolution, or [`DEFAULT_DPI`].
    pub fn physical_size(&self) -> (f32, f32) {
        let (x, y) = self
            .pixels_per_metre
            .map_or((DEFAULT_DPI / 0.0254, DEFAULT_DPI / 0.0254), |(x, y)| {
                (x as f32, y as f32)
            });
        (
            self.width as f32 / x * POINTS_PER_METRE,
            self.height as f32 / y * POINTS_PER_METRE,
        )
    }

    /// Refuses an image whose printed width is outside `min..=max` millimetres (a seal is shown
    /// at its real size, so a wrong resolution would print it wrong).
    pub fn check_physical_width(&self, min: u32, max: u32) -> Result<(), ImageError> {
        let millimetres = self.physical_size().0 / 72.0 * 25.4;
        if (min as f32..=max as f32).contains(&millimetres) {
            Ok(())
        } else {
            Err(ImageError::BadPhysicalSize(min, max))
        }
    }

    /// Writes the image (and its soft mask) into `document`: the image XObject's id.
    pub fn embed(&self, document: &mut Document) -> ObjectId {
        let image = |color_space: &[u8], data: Vec<u8>| {
            let mut stream = Stream::new(
                Dictionary::from_iter([
                    ("Type", Object::Name(b"XObject".to_vec())),
                    ("Subtype", Object::Name(b"Image".to_vec())),
                    ("Width", Object::Integer(i64::from(self.width))),
                    ("Height", Object::Integer(i64::from(self.height))),
                    ("ColorSpace", Object::Name(color_space.to_vec())),
                    ("BitsPerComponent", Object::Integer(8)),
                ]),
                data,
            );
            // Keeps the stream raw when it would not shrink.
            let _ = stream.compress();
            stream
        };
        let mask = document.add_object(image(b"DeviceGray", self.alpha.clone()));
        let mut color = image(b"DeviceRGB", self.rgb.clone());
        color.dict.set("SMask", Object::Reference(mask));
        document.add_object(color)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(
        width: u32,
        height: u32,
        color: png::ColorType,
        data: &[u8],
        dpi: Option<u32>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        if let Some(dpi) = dpi {
            encoder.set_pixel_dims(Some(png::PixelDimensions {
                xppu: (dpi as f32 / 0.0254).round() as u32,
                yppu: (dpi as f32 / 0.0254).round() as u32,
                unit: png::Unit::Meter,
            }));
        }
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(data).unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn a_transparent_png_is_read_and_its_real_size_known() {
        let pixels: Vec<u8> = (0..64 * 32)
            .flat_map(|i| [0, 0, 200, if i % 2 == 0 { 0 } else { 255 }])
            .collect();
        let png = Png::parse(&encode(64, 32, png::ColorType::Rgba, &pixels, Some(150))).unwrap();
        assert_eq!((png.width, png.height), (64, 32));
        let (w, h) = png.physical_size();
        assert!((w - 64.0 / 150.0 * 72.0).abs() < 0.1 && (h - w / 2.0).abs() < 0.1);
        assert_eq!(
            png.check_physical_width(20, 60),
            Err(ImageError::BadPhysicalSize(20, 60))
        );
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        assert_eq!(Png::parse(b"GIF89a....").unwrap_err(), ImageError::NotPng);
        let opaque = encode(32, 32, png::ColorType::Rgb, &[255; 32 * 32 * 3], None);
        assert_eq!(Png::parse(&opaque).unwrap_err(), ImageError::Opaque);
        let all_solid = encode(32, 32, png::ColorType::Rgba, &[255; 32 * 32 * 4], None);
        assert_eq!(Png::parse(&all_solid).unwrap_err(), ImageError::Opaque);
        let tiny = encode(4, 4, png::ColorType::Rgba, &[0; 4 * 4 * 4], None);
        assert_eq!(Png::parse(&tiny).unwrap_err(), ImageError::BadSize);
        let mut truncated = encode(32, 32, png::ColorType::Rgba, &[7; 32 * 32 * 4], None);
        truncated.truncate(truncated.len() / 2);
        assert_eq!(Png::parse(&truncated).unwrap_err(), ImageError::NotPng);
    }
}
