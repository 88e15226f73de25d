//! Samples for the signing tests and the signing benchmark: a minimal one-page PDF (a classic
//! cross-reference table, and `padding` bytes of stream data to make it as large as needed),
//! and the images a signer and an organisation upload for their signatures' appearance.

pub fn minimal_pdf(text: &str, padding: usize) -> Vec<u8> {
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
    if padding > 0 {
        let mut stream = format!("<< /Length {padding} >>\nstream\n").into_bytes();
        stream.extend((0..padding).map(|i| (i % 251) as u8));
        stream.extend(b"\nendstream");
        objects.push(stream);
    }
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend(object);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
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
