//! Samples for the tests and benchmarks: a minimal one-page PDF with a classic cross-reference
//! table (and `padding` bytes of stream data to make it as large as needed), a scan-like one
//! with an image per page, the hostile shapes the parse caps must stop, and the images a signer
//! and an organisation upload for their signatures' appearance.

use lopdf::Stream;

pub fn minimal_pdf(text: &str, padding: usize) -> Vec<u8> {
    let mut extra = Vec::new();
    if padding > 0 {
        let mut stream = format!("<< /Length {padding} >>\nstream\n").into_bytes();
        stream.extend((0..padding).map(|i| (i % 251) as u8));
        stream.extend(b"\nendstream");
        extra.push(stream);
    }
    pdf_with_objects(text, extra)
}

/// One page showing `text` (objects 1 to 4), then `extra` objects numbered from 5, each given
/// as what goes between `obj` and `endobj`.
pub fn pdf_with_objects(text: &str, extra: Vec<Vec<u8>>) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 712 Td ({text}) Tj ET");
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        )
        .into_bytes(),
    ];
    objects.extend(extra);
    write(&objects)
}

/// A scan as copiers make them: `pages` pages, each drawing one `image_bytes` image (random
/// bytes, as compressed images look).
pub fn scan_pdf(pages: usize, image_bytes: usize) -> Vec<u8> {
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            (0..pages)
                .map(|p| format!("{} 0 R", 3 + 3 * p))
                .collect::<Vec<_>>()
                .join(" ")
        )
        .into_bytes(),
    ];
    let mut noise = 0x9E37_79B9_7F4A_7C15_u64;
    for page in 0..pages {
        let id = 3 + 3 * page;
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R \
                 /Resources << /XObject << /Im {} 0 R >> >> >>",
                id + 1,
                id + 2
            )
            .into_bytes(),
        );
        let draw = "q 595 0 0 842 0 0 cm /Im Do Q";
        objects
            .push(format!("<< /Length {} >>\nstream\n{draw}\nendstream", draw.len()).into_bytes());
        let mut image = format!(
            "<< /Type /XObject /Subtype /Image /Width {image_bytes} /Height 1 /ColorSpace \
             /DeviceGray /BitsPerComponent 8 /Length {image_bytes} >>\nstream\n"
        )
        .into_bytes();
        image.extend((0..image_bytes).map(|_| {
            noise ^= noise << 13;
            noise ^= noise >> 7;
            noise ^= noise << 17;
            noise.to_le_bytes()[0]
        }));
        image.extend(b"\nendstream");
        objects.push(image);
    }
    write(&objects)
}

/// An object stream (what goes between `obj` and `endobj`) holding `members` numbered from
/// `first`, followed by `padding` spaces, Flate-compressed: spaces compress a thousandfold.
pub fn object_stream(first: u32, members: &[&str], padding: usize) -> Vec<u8> {
    let mut header = String::new();
    let mut body = String::new();
    for (i, member) in (first..).zip(members) {
        header.push_str(&format!("{i} {} ", body.len()));
        body.push_str(member);
        body.push(' ');
    }
    let mut content = format!("{header}{body}").into_bytes();
    content.resize(content.len() + padding, b' ');
    let mut stream = Stream::new(lopdf::Dictionary::new(), content);
    // Compression of bytes in memory cannot fail; uncompressed, the sample is merely larger.
    let _ = stream.compress();
    let filter = if stream.dict.has(b"Filter") {
        "/Filter /FlateDecode "
    } else {
        ""
    };
    let mut object = format!(
        "<< /Type /ObjStm /N {} /First {} {filter}/Length {} >>\nstream\n",
        members.len(),
        header.len(),
        stream.content.len()
    )
    .into_bytes();
    object.extend(&stream.content);
    object.extend(b"\nendstream");
    object
}

/// An array nested `depth` levels deep.
pub fn nested_array(depth: usize) -> Vec<u8> {
    [b"[".repeat(depth), b"]".repeat(depth)].concat()
}

/// `objects` numbered from 1, a classic cross-reference table and trailer; object 1 is the
/// catalog.
fn write(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend(object);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    let size = objects.len() + 1;
    out.extend(format!("xref\n0 {size}\n0000000000 65535 f \n").as_bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!("trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

/// A handwritten signature as a person would upload it: blue strokes on a transparent
/// background, 300 x 120 pixels at 300 dpi (25 x 10 mm).
pub fn signature_png() -> Vec<u8> {
    let (width, height) = (300u32, 120u32);
    let ink = |x: f32, y: f32| {
        let stroke = 60.0 + 30.0 * (x / 20.0).sin() + 8.0 * (x / 6.0).sin();
        (y - stroke).abs() < 4.0 || ((x - 150.0).abs() < 3.0 && (20.0..100.0).contains(&y))
    };
    transparent_png(width, height, 300, |x, y| {
        ink(x as f32, y as f32).then_some([20, 40, 190])
    })
}

/// An organisation's seal: red rings on a transparent background, 236 pixels at 150 dpi
/// (40 mm, a seal's real size).
pub fn seal_png() -> Vec<u8> {
    let side = 236u32;
    let centre = side as f32 / 2.0;
    transparent_png(side, side, 150, |x, y| {
        let r = ((x as f32 - centre).powi(2) + (y as f32 - centre).powi(2)).sqrt();
        (r < 20.0 || (70.0..78.0).contains(&r) || (104.0..116.0).contains(&r))
            .then_some([210, 20, 30])
    })
}

fn transparent_png(
    width: u32,
    height: u32,
    dpi: u32,
    paint: impl Fn(u32, u32) -> Option<[u8; 3]>,
) -> Vec<u8> {
    let pixels: Vec<u8> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .flat_map(|(x, y)| match paint(x, y) {
            Some([r, g, b]) => [r, g, b, 255],
            None => [255, 255, 255, 0],
        })
        .collect();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let per_metre = (dpi as f32 / 0.0254).round() as u32;
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: per_metre,
        yppu: per_metre,
        unit: png::Unit::Meter,
    }));
    // Writing to a Vec cannot fail, and the sizes above are consistent.
    if let Ok(mut writer) = encoder.write_header() {
        let _ = writer.write_image_data(&pixels);
        let _ = writer.finish();
    }
    out
}
