//! What changed in a PDF after a signed revision, judged by what a reader is shown rather than
//! by bytes: the document as it was when signed is compared, object by object from its
//! catalog, with the document the whole file makes. A later signature is allowed to add its
//! field and widget (to the form, to its page's annotations) and validation data (/DSS);
//! anything else that differs (a page added, removed or redrawn, an annotation, an action, a
//! form value, an earlier signature's field) is a change after signing. Renumbered or moved
//! objects compare by content, so how an update was written does not matter.

use std::collections::HashSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::files::pdf_limits::MAX_OBJECTS;

/// Comparisons one check may make: a few per object of the larger file.
const MAX_STEPS: usize = 4 * MAX_OBJECTS;

/// How a pair of objects is compared.
#[derive(Clone, Copy)]
enum Rule {
    /// Equal in every respect (pages excepted: their signature widgets are left out).
    Same,
    /// The catalog: its form by [`Rule::Form`], validation data ignored.
    Catalog,
    /// The interactive form: its earlier fields kept, signature fields added.
    Form,
    /// A field of the signed revision: unchanged, unless it was an empty signature field.
    Field,
}

/// Where `after` first differs from the signed revision `before` in a way no later signature
/// explains, as a path from the catalog (e.g. `/Root/Pages/Kids`); `None` when nothing does.
pub fn unexplained_change(before: &Document, after: &Document) -> Option<String> {
    let root = |d| entry(d, &d.trailer, b"Root");
    let mut compare = Compare {
        before,
        after,
        seen: HashSet::new(),
        pending: vec![(root(before), root(after), Rule::Catalog, "/Root".to_owned())],
        steps: 0,
    };
    compare.run()
}

static NULL: Object = Object::Null;

struct Compare<'a> {
    before: &'a Document,
    after: &'a Document,
    /// Pairs of indirect objects already compared (or being compared): cycles end here.
    seen: HashSet<(ObjectId, ObjectId)>,
    pending: Vec<(&'a Object, &'a Object, Rule, String)>,
    steps: usize,
}

impl<'a> Compare<'a> {
    fn run(&mut self) -> Option<String> {
        while let Some((a, b, rule, path)) = self.pending.pop() {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Some(format!("{path} (too many objects to compare)"));
            }
            if let (Object::Reference(x), Object::Reference(y)) = (a, b)
                && !self.seen.insert((*x, *y))
            {
                continue;
            }
            let (a, b) = (follow(self.before, a), follow(self.after, b));
            if !self.step(a, b, rule, &path) {
                return Some(path);
            }
        }
        None
    }

    /// Compares one pair, queueing what they hold; false when they differ.
    fn step(&mut self, a: &'a Object, b: &'a Object, rule: Rule, path: &str) -> bool {
        match (a, b) {
            (Object::Dictionary(a), Object::Dictionary(b)) => self.dictionaries(a, b, rule, path),
            (Object::Stream(a), Object::Stream(b)) => {
                a.content == b.content && self.dictionaries(&a.dict, &b.dict, Rule::Same, path)
            }
            (Object::Array(a), Object::Array(b)) => {
                a.len() == b.len() && {
                    for (i, (x, y)) in a.iter().zip(b).enumerate() {
                        self.pending
                            .push((x, y, Rule::Same, format!("{path}[{i}]")));
                    }
                    true
                }
            }
            (Object::Real(a), Object::Real(b)) => a.to_bits() == b.to_bits(),
            (Object::String(a, _), Object::String(b, _)) => a == b,
            (a, b) => a == b,
        }
    }

    fn dictionaries(
        &mut self,
        a: &'a Dictionary,
        b: &'a Dictionary,
        rule: Rule,
        path: &str,
    ) -> bool {
        let page = is_page(a) && is_page(b);
        let skipped: &[&[u8]] = match rule {
            Rule::Catalog => &[b"AcroForm", b"DSS"],
            Rule::Form => &[b"Fields", b"SigFlags", b"DR", b"DA"],
            Rule::Field if is_signature_field(self.before, a) && !a.has(b"V") => &[b"V", b"AP"],
            Rule::Field | Rule::Same if page => &[b"Annots"],
            Rule::Field | Rule::Same => &[],
        };
        let keys = |d: &'a Dictionary| -> Vec<&'a [u8]> {
            let mut keys: Vec<&[u8]> = d
                .iter()
                .map(|(k, _)| k.as_slice())
                .filter(|k| !skipped.contains(k))
                .collect();
            keys.sort_unstable();
            keys
        };
        let keys_a = keys(a);
        if keys_a != keys(b) {
            return false;
        }
        for key in keys_a {
            if let (Ok(x), Ok(y)) = (a.get(key), b.get(key)) {
                let path = format!("{path}/{}", String::from_utf8_lossy(key));
                self.pending.push((x, y, Rule::Same, path));
            }
        }
        match rule {
            Rule::Catalog => {
                let (x, y) = (
                    entry(self.before, a, b"AcroForm"),
                    entry(self.after, b, b"AcroForm"),
                );
                self.pending
                    .push((x, y, Rule::Form, format!("{path}/AcroForm")));
                true
            }
            Rule::Form => self.fields(a, b, path),
            Rule::Field | Rule::Same if page => self.annotations(a, b, path),
            Rule::Field | Rule::Same => true,
        }
    }

    /// The signed revision's fields come first and are kept; the fields after them are
    /// signature fields.
    fn fields(&mut self, a: &'a Dictionary, b: &'a Dictionary, path: &str) -> bool {
        let before = array(self.before, entry(self.before, a, b"Fields"));
        let after = array(self.after, entry(self.after, b, b"Fields"));
        if before.len() > after.len() {
            return false;
        }
        let added = after[before.len()..]
            .iter()
            .all(|f| dictionary(self.after, f).is_some_and(|f| is_signature_field(self.after, f)));
        for (i, (x, y)) in before.iter().zip(after).enumerate() {
            self.pending
                .push((x, y, Rule::Field, format!("{path}/Fields[{i}]")));
        }
        added
    }

    /// A page's annotations, signature widgets left out (those are checked as form fields).
    fn annotations(&mut self, a: &'a Dictionary, b: &'a Dictionary, path: &str) -> bool {
        let others = |document: &'a Document, page: &'a Dictionary| -> Vec<&'a Object> {
            let kids = signature_kids(document);
            array(document, entry(document, page, b"Annots"))
                .iter()
                .filter(|annotation| {
                    let kid = annotation.as_reference().is_ok_and(|id| kids.contains(&id));
                    !kid && !dictionary(document, annotation).is_some_and(|annotation| {
                        annotation.get(b"Subtype").and_then(Object::as_name).ok()
                            == Some(b"Widget".as_slice())
                            && is_signature_field(document, annotation)
                    })
                })
                .collect()
        };
        let (before, after) = (others(self.before, a), others(self.after, b));
        if before.len() != after.len() {
            return false;
        }
        for (i, (x, y)) in before.into_iter().zip(after).enumerate() {
            self.pending
                .push((x, y, Rule::Same, format!("{path}/Annots[{i}]")));
        }
        true
    }
}

/// `object` with references followed; a reference to nothing is null, as readers take it.
fn follow<'a>(document: &'a Document, object: &'a Object) -> &'a Object {
    document.dereference(object).map_or(&NULL, |(_, o)| o)
}

/// The value of `key` in `dict`, references followed.
fn entry<'a>(document: &'a Document, dict: &'a Dictionary, key: &[u8]) -> &'a Object {
    dict.get(key).map_or(&NULL, |o| follow(document, o))
}

fn array<'a>(document: &'a Document, object: &'a Object) -> &'a [Object] {
    match follow(document, object) {
        Object::Array(items) => items,
        _ => &[],
    }
}

fn dictionary<'a>(document: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    follow(document, object).as_dict().ok()
}

fn is_page(dict: &Dictionary) -> bool {
    dict.get(b"Type").and_then(Object::as_name).ok() == Some(b"Page".as_slice())
}

/// The widgets listed as /Kids of the form's signature fields (a seal with its attachment
/// stamps has several), which may not point back with /Parent.
fn signature_kids(document: &Document) -> HashSet<ObjectId> {
    let root = entry(document, &document.trailer, b"Root");
    let Some(form) = root
        .as_dict()
        .ok()
        .and_then(|root| dictionary(document, entry(document, root, b"AcroForm")))
    else {
        return HashSet::new();
    };
    array(document, entry(document, form, b"Fields"))
        .iter()
        .filter_map(|field| dictionary(document, field))
        .filter(|field| is_signature_field(document, field))
        .flat_map(|field| array(document, entry(document, field, b"Kids")))
        .filter_map(|kid| kid.as_reference().ok())
        .collect()
}

/// A signature field, or the widget of one (whose field type its parent holds).
fn is_signature_field(document: &Document, dict: &Dictionary) -> bool {
    let is_sig =
        |d: &Dictionary| d.get(b"FT").and_then(Object::as_name).ok() == Some(b"Sig".as_slice());
    is_sig(dict)
        || dict
            .get(b"Parent")
            .ok()
            .and_then(|parent| dictionary(document, parent))
            .is_some_and(is_sig)
}
