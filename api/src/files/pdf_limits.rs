//! Every full parse of a PDF goes through here, under caps a small hostile file cannot get
//! past: how many objects it holds, how many bytes its object streams inflate to in total (and
//! any one stream, cross-reference streams included), and how deeply one object nests. A
//! legitimate 100 MB scan holds a few thousand objects (an image and a handful of dictionaries
//! per page), almost nothing in object streams, and nests a few levels: it stays far below all
//! three. lopdf applies the caps through its load filter, which sees each object as it is read
//! and before an object stream is expanded, so a bomb is refused before it is inflated.

use std::{cell::RefCell, ops::Deref};

use lopdf::{DecompressError, Document, LoadOptions, Object, ObjectId};
use sha2::{Digest, Sha256};

/// Objects in one file, object-stream members included.
pub const MAX_OBJECTS: usize = 250_000;
/// Bytes all object streams of one file may inflate to.
pub const MAX_INFLATED: usize = 64 << 20;
/// Bytes one object or cross-reference stream may inflate to while loading.
const MAX_STREAM_INFLATED: usize = 32 << 20;
/// Arrays and dictionaries inside one another within one object (lopdf's parser gives up at
/// 100; real files stay under ten).
pub const MAX_DEPTH: usize = 32;

/// Which cap a file went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Exceeded {
    #[error("it holds more than {MAX_OBJECTS} objects")]
    Objects,
    #[error("its object streams inflate to more than {} MB", MAX_INFLATED >> 20)]
    Inflated,
    #[error("an object nests more than {MAX_DEPTH} levels deep")]
    Depth,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the PDF is too complex to process safely: {0}")]
    TooComplex(Exceeded),
    /// lopdf decrypts encrypted files on a path that skips the load filter, so their caps could
    /// not be enforced.
    #[error("the PDF is encrypted")]
    Encrypted,
    #[error("{0}")]
    Unreadable(lopdf::Error),
}

/// How much of a mapped file is read between two hand-backs; see [`Source::stored_file`].
const RELEASE_EVERY: usize = 8 << 20;

/// The bytes of a PDF as a parse reads them: in memory, or a stored file mapped read-only.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    bytes: &'a [u8],
    mapped: bool,
}

impl<'a> Source<'a> {
    /// A stored file mapped with `Mmap::map`, whose pages are handed back to the kernel every
    /// [`RELEASE_EVERY`] bytes read: a 50 MB scan does not stay resident while it is hashed or
    /// parsed. The pages stay in the page cache, and a page read again is mapped again.
    pub fn stored_file(map: &'a memmap2::Mmap) -> Self {
        Self {
            bytes: map,
            mapped: true,
        }
    }

    /// SHA-256 of the whole file, read once.
    pub fn sha256(self) -> Sha256 {
        let mut hasher = Sha256::new();
        for chunk in self.bytes.chunks(RELEASE_EVERY) {
            hasher.update(chunk);
            self.release();
        }
        hasher
    }

    fn release(self) {
        if self.mapped {
            release(self.bytes.as_ptr() as usize, self.bytes.len());
        }
    }
}

impl<'a> From<&'a [u8]> for Source<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            mapped: false,
        }
    }
}

impl<'a> From<&'a Vec<u8>> for Source<'a> {
    fn from(bytes: &'a Vec<u8>) -> Self {
        Self::from(bytes.as_slice())
    }
}

impl Deref for Source<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.bytes
    }
}

/// Drops this process's mapping of the pages of a stored file's mapping at `address`.
fn release(address: usize, len: usize) {
    // SAFETY: only ever a whole `Mmap::map` mapping of a stored file (`Source::stored_file`):
    // page-aligned, shared, read-only, of a file never written again. MADV_DONTNEED then
    // only unmaps pages; the next read maps the same bytes again from the page cache.
    let done = unsafe { libc::madvise(address as *mut libc::c_void, len, libc::MADV_DONTNEED) };
    if done != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "madvise failed");
    }
}

/// The whole document, loaded within the caps.
pub fn load<'a>(pdf: impl Into<Source<'a>>) -> Result<Document, LoadError> {
    unencrypted(load_with(pdf.into(), Keep::Everything)?)
}

/// The document without the data of its streams, each stream kept as its dictionary alone:
/// what signing reads (the catalog, the page tree, the form) at a small fraction of a scan's
/// size, where [`load`] holds every image and content stream.
pub fn load_structure<'a>(pdf: impl Into<Source<'a>>) -> Result<Document, LoadError> {
    unencrypted(load_with(pdf.into(), Keep::Structure)?)
}

/// Reads every object once within the caps and keeps none: the upload check, which must not
/// hold a 100 MB scan in memory to learn that it is sound.
pub fn scan<'a>(pdf: impl Into<Source<'a>>) -> Result<(), LoadError> {
    load_with(pdf.into(), Keep::Nothing).map(drop)
}

fn unencrypted(document: Document) -> Result<Document, LoadError> {
    if document.encryption_state.is_some() {
        return Err(LoadError::Encrypted);
    }
    Ok(document)
}

/// What a load keeps of the objects it reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    Nothing,
    Structure,
    Everything,
}

fn load_with(pdf: Source, keep: Keep) -> Result<Document, LoadError> {
    let _budget = Budget::install(keep, pdf);
    let options = LoadOptions {
        filter: Some(account),
        max_decompressed_size: Some(MAX_STREAM_INFLATED),
        ..LoadOptions::default()
    };
    let loaded = Document::load_mem_with_options(pdf.bytes, options);
    let exceeded = BUDGET.with_borrow(|b| b.as_ref().and_then(|b| b.exceeded));
    if let Some(exceeded) = exceeded {
        return Err(LoadError::TooComplex(exceeded));
    }
    let document = loaded.map_err(|e| match e {
        lopdf::Error::Decompress(DecompressError::MemoryLimitExceeded { .. }) => {
            LoadError::TooComplex(Exceeded::Inflated)
        }
        other => LoadError::Unreadable(other),
    })?;
    if document.reference_table.entries.len() > MAX_OBJECTS {
        return Err(LoadError::TooComplex(Exceeded::Objects));
    }
    Ok(document)
}

/// What the current load on this thread has used. lopdf's filter is a plain function, and
/// this crate builds lopdf without its parallel loader, so the load runs on the calling thread.
struct Budget {
    keep: Keep,
    objects: usize,
    inflated: usize,
    exceeded: Option<Exceeded>,
    /// The address and length of a stored file's mapping, handed back as the load goes.
    mapped: Option<(usize, usize)>,
    /// Stream bytes read since the mapping was last handed back.
    unreleased: usize,
}

thread_local! {
    static BUDGET: RefCell<Option<Budget>> = const { RefCell::new(None) };
}

/// Removes the budget when the load ends, however it ends.
struct Installed;

impl Budget {
    fn install(keep: Keep, pdf: Source) -> Installed {
        BUDGET.set(Some(Budget {
            keep,
            objects: 0,
            inflated: 0,
            exceeded: None,
            mapped: pdf
                .mapped
                .then_some((pdf.bytes.as_ptr() as usize, pdf.bytes.len())),
            unreleased: 0,
        }));
        Installed
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        BUDGET.set(None);
    }
}

/// lopdf's load filter. For an object read from the file lopdf keeps its own copy when this
/// answers `Some` (what is returned is dropped); for a member of an object stream it keeps
/// what is returned. Members are never streams, so streams are answered with a placeholder.
fn account(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    BUDGET.with_borrow_mut(|budget| {
        let Some(budget) = budget.as_mut() else {
            return Some((id, object.clone()));
        };
        if budget.exceeded.is_some() {
            return None;
        }
        budget.objects += 1;
        if budget.objects > MAX_OBJECTS {
            budget.exceeded = Some(Exceeded::Objects);
            return None;
        }
        if depth(object) > MAX_DEPTH {
            budget.exceeded = Some(Exceeded::Depth);
            return None;
        }
        if let (Object::Stream(stream), Some((address, len))) = (&*object, budget.mapped) {
            // lopdf has copied the stream's data out of the mapping by now.
            budget.unreleased += stream.content.len();
            if budget.unreleased >= RELEASE_EVERY {
                release(address, len);
                budget.unreleased = 0;
            }
        }
        match object {
            Object::Stream(stream) if stream.dict.has_type(b"ObjStm") => {
                // Inflated here once to be measured, bounded by what is left, before lopdf
                // inflates it to read the members.
                let room = (MAX_INFLATED - budget.inflated).min(MAX_STREAM_INFLATED);
                match stream.decompressed_content_with_limit(room) {
                    Ok(content) => budget.inflated += content.len(),
                    Err(lopdf::Error::Decompress(DecompressError::MemoryLimitExceeded {
                        ..
                    })) => {
                        budget.exceeded = Some(Exceeded::Inflated);
                        return None;
                    }
                    // lopdf meets the same error and handles it as it does any broken object.
                    Err(_) => {}
                }
                // Kept even by a scan: lopdf expands it and hands each member here.
                Some((id, Object::Null))
            }
            Object::Stream(stream) => match budget.keep {
                Keep::Nothing => None,
                Keep::Structure => {
                    // lopdf keeps what the filter leaves in `object`: the data goes now, and a
                    // dictionary is never re-read for data as an empty stream would be.
                    *object = Object::Dictionary(std::mem::take(&mut stream.dict));
                    Some((id, Object::Null))
                }
                Keep::Everything => Some((id, Object::Null)),
            },
            _ => (budget.keep != Keep::Nothing).then(|| (id, object.clone())),
        }
    })
}

/// How many arrays and dictionaries nest in `object`, counted without recursion.
fn depth(object: &Object) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(object, 1)];
    while let Some((object, level)) = pending.pop() {
        match object {
            Object::Array(items) => pending.extend(items.iter().map(|o| (o, level + 1))),
            Object::Dictionary(dict) => pending.extend(dict.iter().map(|(_, o)| (o, level + 1))),
            Object::Stream(stream) => {
                pending.extend(stream.dict.iter().map(|(_, o)| (o, level + 1)));
            }
            _ => continue,
        }
        deepest = deepest.max(level);
        if deepest > MAX_DEPTH {
            break;
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::{
        pades::{self, PadesError, SignatureInfo},
        sample::{nested_array, object_stream, pdf_with_objects, scan_pdf},
        verify::verify_pdf,
    };

    /// Every parse refuses `bomb` for going past `cap`: the upload scan, the full load,
    /// verification and signing.
    fn refused_everywhere(bomb: &[u8], cap: Exceeded) {
        assert!(matches!(scan(bomb), Err(LoadError::TooComplex(c)) if c == cap));
        assert!(matches!(load(bomb), Err(LoadError::TooComplex(c)) if c == cap));
        assert!(matches!(verify_pdf(bomb, &[]), Err(PadesError::TooComplex(c)) if c == cap));
        let info = SignatureInfo {
            signer_name: "Nguyễn Văn An".into(),
            reason: None,
            location: None,
            signing_time: chrono::DateTime::UNIX_EPOCH,
        };
        assert!(matches!(
            pades::prepare(bomb, &info, None),
            Err(PadesError::TooComplex(c)) if c == cap
        ));
    }

    #[test]
    fn a_100_mb_scan_is_within_every_cap() {
        let scan_bytes = scan_pdf(500, 200 * 1024);
        assert!(scan_bytes.len() > 100_000_000);
        scan(&scan_bytes).unwrap();
        let document = load(&scan_bytes).unwrap();
        assert_eq!(document.get_pages().len(), 500);
        // Signing reads the structure alone: the pages, without a byte of their images.
        let structure = load_structure(&scan_bytes).unwrap();
        assert_eq!(structure.get_pages().len(), 500);
        assert!(structure.objects.values().all(|o| o.as_stream().is_err()));
    }

    /// Resident pages of this process's mapping starting at `address`, in bytes.
    fn resident(address: usize) -> usize {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let start = format!("{address:x}-");
        let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&start));
        lines.next().expect("the mapping is listed");
        let rss = lines.find(|l| l.starts_with("Rss:")).unwrap();
        rss.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<usize>()
            .unwrap()
            * 1024
    }

    #[test]
    fn a_stored_file_is_read_without_staying_resident() {
        let bytes = scan_pdf(48, 1 << 20);
        let path = std::env::temp_dir().join(format!("vanban-scan-{}.pdf", uuid::Uuid::new_v4()));
        std::fs::write(&path, &bytes).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // SAFETY: the file is this test's own and nothing writes it while it is mapped.
        let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
        std::fs::remove_file(&path).unwrap();
        let stored = Source::stored_file(&map);
        let address = map.as_ptr() as usize;

        assert_eq!(
            stored.sha256().finalize(),
            Sha256::digest(&bytes),
            "the same bytes, read back after each hand-back"
        );
        assert!(resident(address) <= RELEASE_EVERY, "{}", resident(address));
        scan(stored).unwrap();
        assert!(resident(address) <= RELEASE_EVERY, "{}", resident(address));
        let structure = load_structure(stored).unwrap();
        assert_eq!(structure.get_pages().len(), 48);
        assert!(resident(address) <= RELEASE_EVERY, "{}", resident(address));
    }

    #[test]
    fn object_streams_inflating_past_the_total_are_refused() {
        // Twelve object streams of 8 kB, each inflating to 8 MB of spaces: 96 MB in all.
        let wide = object_stream(100, &["null"], 8 << 20);
        let bomb = pdf_with_objects("Bom", vec![wide; 12]);
        assert!(bomb.len() < 200_000, "{}", bomb.len());
        refused_everywhere(&bomb, Exceeded::Inflated);
    }

    #[test]
    fn one_object_stream_inflating_past_its_own_cap_is_refused() {
        let tall = object_stream(100, &["null"], MAX_STREAM_INFLATED + 1);
        refused_everywhere(&pdf_with_objects("Bom", vec![tall]), Exceeded::Inflated);
    }

    #[test]
    fn an_object_stream_of_more_objects_than_the_cap_is_refused() {
        let members = vec!["null"; MAX_OBJECTS];
        let many = object_stream(100, &members, 0);
        refused_everywhere(&pdf_with_objects("Bom", vec![many]), Exceeded::Objects);
    }

    #[test]
    fn nesting_past_the_cap_is_refused_in_the_file_and_in_object_streams() {
        let deep = nested_array(MAX_DEPTH + 1);
        refused_everywhere(
            &pdf_with_objects("Bom", vec![deep.clone()]),
            Exceeded::Depth,
        );
        let packed = object_stream(100, &[std::str::from_utf8(&deep).unwrap()], 0);
        refused_everywhere(&pdf_with_objects("Bom", vec![packed]), Exceeded::Depth);
        let shallow = nested_array(MAX_DEPTH - 1);
        load(&pdf_with_objects("Bom", vec![shallow])).unwrap();
    }

    #[test]
    fn nesting_a_hundred_thousand_deep_does_not_overflow_a_worker_stack() {
        let bomb = pdf_with_objects("Bom", vec![nested_array(100_000)]);
        // The stack tokio gives its blocking threads, where every parse runs.
        let parsed = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || load(&bomb).map(|d| d.objects.len()))
            .unwrap()
            .join()
            .unwrap();
        // lopdf gives up on the object at its own bound; the rest of the file reads.
        assert_eq!(parsed.unwrap(), 4);
    }
}
