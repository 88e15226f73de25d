//! An incremental update written apart from the file it extends (ISO 32000-1, 7.5.6): the
//! changed and new objects, a cross-reference section for them of the kind the file already
//! uses (a table, or a stream), and a trailer pointing back at the previous one. Offsets are
//! counted from the end of the original, so the update can be appended to the stored file as
//! it is streamed, never copied into memory with it. lopdf's own incremental writer copies the
//! original first, which is what this avoids.

use std::io::Write;

use lopdf::{Document, Object, Stream, Writer, xref::XrefType};

/// Object numbers and their offsets, as one cross-reference subsection each run of numbers.
type Entries = Vec<(u32, u16, u64)>;

/// The bytes to append to an original of `original_len` bytes ending in `last_byte`, holding
/// the objects of `new` (an update begun with `Document::new_from_prev`) and its trailer.
/// `kind` is the original's cross-reference kind.
pub fn write(
    new: &Document,
    kind: XrefType,
    original_len: u64,
    last_byte: Option<u8>,
) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    // An update starts on a line of its own.
    if last_byte.is_some_and(|b| b != b'\n' && b != b'\r') {
        out.push(b'\n');
    }
    let at = |out: &Vec<u8>| original_len + out.len() as u64;
    let mut entries: Entries = Vec::with_capacity(new.objects.len() + 1);
    for (&(id, generation), object) in &new.objects {
        entries.push((id, generation, at(&out)));
        write_object(&mut out, id, generation, object)?;
    }
    let mut trailer = new.trailer.clone();
    // What described the previous section's own stream does not describe this one.
    for key in [
        &b"Type"[..],
        b"Length",
        b"Filter",
        b"DecodeParms",
        b"W",
        b"Index",
        b"XRefStm",
    ] {
        trailer.remove(key);
    }
    let xref_start = at(&out);
    match kind {
        XrefType::CrossReferenceTable => {
            trailer.set("Size", i64::from(new.max_id) + 1);
            out.extend_from_slice(b"xref\n0 1\n0000000000 65535 f \n");
            for run in runs(&entries) {
                writeln!(out, "{} {}", run[0].0, run.len())?;
                for (_, generation, offset) in run {
                    writeln!(out, "{offset:010} {generation:05} n ")?;
                }
            }
            out.extend_from_slice(b"trailer\n");
            Writer::write_object(&mut out, &Object::Dictionary(trailer))?;
        }
        XrefType::CrossReferenceStream => {
            // The stream is an object too, numbered after the others and listed in itself.
            let id = new.max_id + 1;
            entries.push((id, 0, xref_start));
            let offset = |o: u64| u32::try_from(o).map_err(std::io::Error::other);
            let mut index = Vec::new();
            let mut content = Vec::with_capacity(entries.len() * 7);
            for run in runs(&entries) {
                index.extend([Object::from(i64::from(run[0].0)), (run.len() as i64).into()]);
                for (_, generation, at) in run {
                    content.push(1);
                    content.extend(offset(*at)?.to_be_bytes());
                    content.extend(generation.to_be_bytes());
                }
            }
            trailer.set("Type", Object::Name(b"XRef".to_vec()));
            trailer.set("Size", i64::from(id) + 1);
            trailer.set("W", Object::Array(vec![1.into(), 4.into(), 2.into()]));
            trailer.set("Index", Object::Array(index));
            let stream = Stream::new(trailer, content).with_compression(false);
            write_object(&mut out, id, 0, &Object::Stream(stream))?;
        }
    }
    write!(out, "\nstartxref\n{xref_start}\n%%EOF\n")?;
    Ok(out)
}

fn write_object(
    out: &mut Vec<u8>,
    id: u32,
    generation: u16,
    object: &Object,
) -> std::io::Result<()> {
    writeln!(out, "{id} {generation} obj")?;
    Writer::write_object(out, object)?;
    out.extend_from_slice(b"\nendobj\n");
    Ok(())
}

/// `entries` (in ascending numbers) cut into runs of consecutive numbers.
fn runs(entries: &Entries) -> impl Iterator<Item = &[(u32, u16, u64)]> {
    entries.chunk_by(|a, b| b.0 == a.0 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::IncrementalDocument;

    use crate::signing::sample::{minimal_pdf, object_stream, pdf_with_objects};

    /// The original with the update appended reads back with the update's objects, and the
    /// original's are still there.
    fn appended_reads_back(original: Vec<u8>) {
        let previous = Document::load_mem(&original).unwrap();
        let kind = previous.reference_table.cross_reference_type;
        let root = previous
            .trailer
            .get(b"Root")
            .unwrap()
            .as_reference()
            .unwrap();
        let mut update = IncrementalDocument::create_from(Vec::new(), previous);
        update.opt_clone_object_to_new_document(root).unwrap();
        let added = update
            .new_document
            .add_object(Object::string_literal("cập nhật"));
        update
            .new_document
            .get_dictionary_mut(root)
            .unwrap()
            .set("Added", Object::Reference(added));
        let bytes = write(
            &update.new_document,
            kind,
            original.len() as u64,
            original.last().copied(),
        )
        .unwrap();
        let whole = [original.as_slice(), &bytes].concat();
        let read = Document::load_mem(&whole).unwrap();
        let same_kind = matches!(
            (read.reference_table.cross_reference_type, kind),
            (XrefType::CrossReferenceTable, XrefType::CrossReferenceTable)
                | (
                    XrefType::CrossReferenceStream,
                    XrefType::CrossReferenceStream
                )
        );
        assert!(same_kind, "the update changed the cross-reference kind");
        let catalog = read.catalog().unwrap();
        let added = catalog.get(b"Added").unwrap().as_reference().unwrap();
        assert_eq!(
            read.get_object(added).unwrap().as_str().unwrap(),
            "cập nhật".as_bytes()
        );
        assert_eq!(read.get_pages().len(), 1);
    }

    #[test]
    fn an_update_after_a_cross_reference_table_reads_back() {
        appended_reads_back(minimal_pdf("Cong van", 0));
    }

    #[test]
    fn an_update_after_a_cross_reference_stream_reads_back() {
        let packed = object_stream(100, &["(nén)"], 0);
        let mut original = pdf_with_objects("Cong van", vec![packed]);
        let mut document = Document::load_mem(&original).unwrap();
        original.clear();
        document.save_modern(&mut original).unwrap();
        appended_reads_back(original);
    }
}
