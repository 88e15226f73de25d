//! Every full parse of a PDF goes through here, under caps a small hostile file cannot get
//! past: how many objects it holds, how many bytes its object streams inflate to in total (and
//! any one stream, cross-reference streams included), and how deeply one object nests. A
//! legitimate 100 MB scan holds a few thousand objects (an image and a handful of dictionaries
//! per page), almost nothing in object streams, and nests a few levels: it stays far below all
//! three. lopdf applies the caps through its load filter, which sees each object as it is read
//! and before an object stream is expanded, so a bomb is refused before it is inflated.

use std::cell::RefCell;

use lopdf::{DecompressError, Document, LoadOptions, Object, ObjectId};

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

/// The whole document, loaded within the caps.
pub fn load(bytes: &[u8]) -> Result<Document, LoadError> {
    let document = load_with(bytes, true)?;
    if document.encryption_state.is_some() {
        return Err(LoadError::Encrypted);
    }
    Ok(document)
}

/// Reads every object once within the caps and keeps none: the upload check, which must not
/// hold a 100 MB scan in memory to learn that it is sound.
pub fn scan(bytes: &[u8]) -> Result<(), LoadError> {
    load_with(bytes, false).map(drop)
}

fn load_with(bytes: &[u8], keep: bool) -> Result<Document, LoadError> {
    let _budget = Budget::install(keep);
    let options = LoadOptions {
        filter: Some(account),
        max_decompressed_size: Some(MAX_STREAM_INFLATED),
        ..LoadOptions::default()
    };
    let loaded = Document::load_mem_with_options(bytes, options);
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
    keep: bool,
    objects: usize,
    inflated: usize,
    exceeded: Option<Exceeded>,
}

thread_local! {
    static BUDGET: RefCell<Option<Budget>> = const { RefCell::new(None) };
}

/// Removes the budget when the load ends, however it ends.
struct Installed;

impl Budget {
    fn install(keep: bool) -> Installed {
        BUDGET.set(Some(Budget {
            keep,
            objects: 0,
            inflated: 0,
            exceeded: None,
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
            Object::Stream(_) => budget.keep.then_some((id, Object::Null)),
            _ => budget.keep.then(|| (id, object.clone())),
        }
    })
}

/// How deeply arrays and dictionaries nest in `object`, counted without recursion.
fn depth(object: &Object) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(object, 0)];
    while let Some((object, level)) = pending.pop() {
        deepest = deepest.max(level);
        if level > MAX_DEPTH {
            break;
        }
        match object {
            Object::Array(items) => pending.extend(items.iter().map(|o| (o, level + 1))),
            Object::Dictionary(dict) => pending.extend(dict.iter().map(|(_, o)| (o, level + 1))),
            Object::Stream(stream) => {
                pending.extend(stream.dict.iter().map(|(_, o)| (o, level + 1)));
            }
            _ => {}
        }
    }
    deepest
}
