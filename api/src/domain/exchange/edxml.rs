//! edXML (QCVN 102:2016/BTTTT) as agencies exchange it: a new document with its files, or a
//! status message about a document received. [`write`] produces what the axis carries;
//! [`read`] takes what other systems send, which varies more than the standard: elements are
//! found by namespace and local name whatever their prefix (or with none at all), unknown
//! elements and foreign namespaces (the XML signature) are passed over, empty values are
//! absent values, and a file's kind is judged by its bytes, not its label. Limits on depth and
//! element count keep a hostile message from costing more than its size.
//!
//! The schema in `edxml.xsd` describes what [`write`] produces; the tests check it with an
//! independent validator.

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{NaiveDate, NaiveDateTime};
use quick_xml::{
    NsReader,
    escape::{escape, unescape},
    events::Event,
    name::ResolveResult,
};

use super::DeliveryStatus;

pub const NAMESPACE: &str = "http://www.mic.gov.vn/TBT/QCVN_102_2016";
const DATE: &str = "%Y/%m/%d";
const TIMESTAMP: &str = "%Y/%m/%d %H:%M:%S";
/// Deeper than any message the standard describes (seven levels) with room for variations.
const MAX_DEPTH: usize = 32;
const MAX_ELEMENTS: usize = 10_000;
/// The largest message taken in: a document of some 24 MB of PDFs once base64 is undone.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024 * 1024;

/// An organisation as a message names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organ {
    /// Its QCVN 102 agency code; checked against the pattern by whoever acts on it.
    pub id: String,
    pub in_charge: Option<String>,
    pub name: String,
    pub address: Option<String>,
    pub email: Option<String>,
    pub telephone: Option<String>,
    pub fax: Option<String>,
    pub website: Option<String>,
}

/// Who at the sender handled the message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staff {
    pub department: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerInfo {
    pub competence: Option<String>,
    pub position: Option<String>,
    pub full_name: String,
}

/// One system the message passed through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    pub organ_id: String,
    pub at: NaiveDateTime,
}

/// BussinessDocType: what the message does to the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusinessKind {
    New,
    Revocation,
    Update,
    Replacement,
}

impl BusinessKind {
    fn code(self) -> &'static str {
        match self {
            Self::New => "0",
            Self::Revocation => "1",
            Self::Update => "2",
            Self::Replacement => "3",
        }
    }

    fn parse(raw: &str) -> Result<Self, EdxmlError> {
        Ok(match raw {
            "0" => Self::New,
            "1" => Self::Revocation,
            "2" => Self::Update,
            "3" => Self::Replacement,
            _ => return Err(EdxmlError::Invalid("BussinessDocType", raw.to_owned())),
        })
    }
}

/// A file carried in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Without the `cid:` scheme.
    pub content_id: String,
    pub name: String,
    pub description: Option<String>,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Attachment {
    /// Senders label files oddly: the bytes say whether this is a PDF.
    pub fn is_pdf(&self) -> bool {
        self.bytes
            .get(..1024.min(self.bytes.len()))
            .is_some_and(|head| head.windows(5).any(|w| w == b"%PDF-"))
    }
}

/// A document sent to other agencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edoc {
    pub from: Organ,
    pub to: Vec<Organ>,
    /// `{issuer code},{yyyy/MM/dd},{number}/{notation}`: how status messages and duplicate
    /// checks name it.
    pub document_id: String,
    pub code_number: String,
    pub code_notation: String,
    pub place: Option<String>,
    pub promulgation_date: NaiveDate,
    pub type_code: Option<String>,
    pub type_detail: Option<String>,
    pub type_name: String,
    pub subject: String,
    pub content: Option<String>,
    pub signer: Option<SignerInfo>,
    pub due_date: Option<NaiveDate>,
    /// 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ.
    pub priority: u8,
    pub sphere: Option<String>,
    pub typer_notation: Option<String>,
    pub promulgation_amount: Option<u32>,
    pub page_amount: Option<u32>,
    pub appendixes: Vec<String>,
    pub steering_type: Option<String>,
    pub to_places: Vec<String>,
    pub traces: Vec<Trace>,
    pub business: BusinessKind,
    pub business_reason: Option<String>,
    pub staff: Staff,
    pub attachments: Vec<Attachment>,
}

/// A recipient's progress on a document it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub from: Organ,
    /// The document reported on: its issuer's code, number/notation, date and `DocumentId`.
    pub organ_id: String,
    pub code: String,
    pub promulgation_date: Option<NaiveDate>,
    pub document_id: String,
    pub staff: Staff,
    pub status: DeliveryStatus,
    pub description: Option<String>,
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Edoc(Box<Edoc>),
    Status(Box<StatusReport>),
}

#[derive(Debug, thiserror::Error)]
pub enum EdxmlError {
    #[error("the message is not well-formed XML: {0}")]
    Xml(String),
    #[error("the message is not edXML: its root is not `edXML` in the QCVN 102 namespace")]
    NotEdxml,
    #[error(
        "the message nests deeper than {MAX_DEPTH} levels or holds more than {MAX_ELEMENTS} elements"
    )]
    TooComplex,
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{0} is not valid: `{1}`")]
    Invalid(&'static str, String),
}

// --- reading ------------------------------------------------------------------------------

/// An element of the QCVN 102 namespace (or of none) with its text and such children.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, name| node.child(name))
    }

    /// The trimmed text at `path`; an empty element is an absent value.
    fn text(&self, path: &[&str]) -> Option<String> {
        let text = self.at(path)?.text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }

    fn required(&self, path: &[&str], what: &'static str) -> Result<String, EdxmlError> {
        self.text(path).ok_or(EdxmlError::Missing(what))
    }
}

fn parse_tree(xml: &[u8]) -> Result<Node, EdxmlError> {
    let xml_error = |e: &dyn std::fmt::Display| EdxmlError::Xml(e.to_string());
    let mut reader = NsReader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    // The elements open now; `None` for one of a foreign namespace, whose content is skipped.
    let mut open: Vec<Option<Node>> = Vec::new();
    let mut root = None;
    let mut count = 0usize;
    loop {
        let (ns, event) = reader
            .read_resolved_event_into(&mut buf)
            .map_err(|e| xml_error(&e))?;
        let ours = matches!(ns, ResolveResult::Unbound)
            || matches!(ns, ResolveResult::Bound(n) if n.as_ref() == NAMESPACE.as_bytes());
        let inside_foreign = open.iter().any(Option::is_none);
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                count += 1;
                if open.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(EdxmlError::TooComplex);
                }
                let node = (ours && !inside_foreign).then(|| Node {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Node::default()
                });
                open.push(node);
                if empty {
                    close(&mut open, &mut root);
                }
            }
            Event::End(_) => close(&mut open, &mut root),
            Event::Text(t) => append(&mut open, &t.decode().map_err(|e| xml_error(&e))?),
            Event::CData(t) => append(&mut open, &t.decode().map_err(|e| xml_error(&e))?),
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|e| xml_error(&e))?
                        .map(String::from)
                        .unwrap_or_default()
                } else {
                    let name = r.decode().map_err(|e| xml_error(&e))?;
                    unescape(&format!("&{name};"))
                        .map_err(|e| xml_error(&e))?
                        .into_owned()
                };
                append(&mut open, &resolved);
            }
            Event::DocType(_) => return Err(EdxmlError::Xml("a DOCTYPE is not accepted".into())),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !open.is_empty() {
        return Err(EdxmlError::Xml("the message ends inside an element".into()));
    }
    root.ok_or(EdxmlError::NotEdxml)
}

fn close(open: &mut Vec<Option<Node>>, root: &mut Option<Node>) {
    let Some(done) = open.pop() else { return };
    let Some(done) = done else { return };
    match open.last_mut() {
        Some(Some(parent)) => parent.children.push(done),
        Some(None) => {}
        None => *root = Some(done),
    }
}

fn append(open: &mut [Option<Node>], text: &str) {
    if let Some(Some(node)) = open.last_mut() {
        node.text.push_str(text);
    }
}

fn date(node: &Node, path: &[&str], what: &'static str) -> Result<Option<NaiveDate>, EdxmlError> {
    node.text(path)
        .map(|raw| {
            NaiveDate::parse_from_str(&raw, DATE)
                // Some systems write ISO dates.
                .or_else(|_| NaiveDate::parse_from_str(&raw, "%Y-%m-%d"))
                .map_err(|_| EdxmlError::Invalid(what, raw))
        })
        .transpose()
}

fn timestamp(raw: &str, what: &'static str) -> Result<NaiveDateTime, EdxmlError> {
    NaiveDateTime::parse_from_str(raw, TIMESTAMP)
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| EdxmlError::Invalid(what, raw.to_owned()))
}

fn number<T: std::str::FromStr>(
    node: &Node,
    path: &[&str],
    what: &'static str,
) -> Result<Option<T>, EdxmlError> {
    node.text(path)
        .map(|raw| raw.parse().map_err(|_| EdxmlError::Invalid(what, raw)))
        .transpose()
}

fn organ(node: &Node, what: &'static str) -> Result<Organ, EdxmlError> {
    Ok(Organ {
        id: node.required(&["OrganId"], what)?,
        in_charge: node.text(&["OrganizationInCharge"]),
        name: node.text(&["OrganName"]).unwrap_or_default(),
        address: node.text(&["OrganAdd"]),
        email: node.text(&["Email"]),
        telephone: node.text(&["Telephone"]),
        fax: node.text(&["Fax"]),
        website: node.text(&["Website"]),
    })
}

fn staff(node: Option<&Node>) -> Staff {
    let Some(node) = node else {
        return Staff::default();
    };
    Staff {
        department: node.text(&["Department"]),
        name: node.text(&["Staff"]),
        email: node.text(&["Email"]),
        mobile: node.text(&["Mobile"]),
    }
}

/// Reads a message; what it carries is not yet checked against anything but the format.
pub fn read(xml: &[u8]) -> Result<Message, EdxmlError> {
    let root = parse_tree(xml)?;
    if root.name != "edXML" {
        return Err(EdxmlError::NotEdxml);
    }
    let header = root
        .at(&["edXMLEnvelope", "edXMLHeader", "MessageHeader"])
        .ok_or(EdxmlError::Missing(
            "edXMLEnvelope/edXMLHeader/MessageHeader",
        ))?;
    let from = organ(
        header.child("From").ok_or(EdxmlError::Missing("From"))?,
        "From/OrganId",
    )?;
    if header.child("StatusCode").is_some() {
        return read_status(header, from).map(|s| Message::Status(Box::new(s)));
    }
    read_edoc(&root, header, from).map(|e| Message::Edoc(Box::new(e)))
}

fn read_status(header: &Node, from: Organ) -> Result<StatusReport, EdxmlError> {
    let response = header
        .child("ResponseFor")
        .ok_or(EdxmlError::Missing("ResponseFor"))?;
    let raw_status = header.required(&["StatusCode"], "StatusCode")?;
    Ok(StatusReport {
        from,
        organ_id: response.required(&["OrganId"], "ResponseFor/OrganId")?,
        code: response.text(&["Code"]).unwrap_or_default(),
        promulgation_date: date(
            response,
            &["PromulgationDate"],
            "ResponseFor/PromulgationDate",
        )?,
        document_id: response.required(&["DocumentId"], "ResponseFor/DocumentId")?,
        staff: staff(header.child("StaffInfo")),
        status: DeliveryStatus::parse(&raw_status)
            .map_err(|_| EdxmlError::Invalid("StatusCode", raw_status))?,
        description: header.text(&["Description"]),
        at: timestamp(&header.required(&["Timestamp"], "Timestamp")?, "Timestamp")?,
    })
}

fn read_edoc(root: &Node, header: &Node, from: Organ) -> Result<Edoc, EdxmlError> {
    let to = header
        .all("To")
        .map(|t| organ(t, "To/OrganId"))
        .collect::<Result<Vec<_>, _>>()?;
    let trace_list = root.at(&["edXMLEnvelope", "edXMLHeader", "TraceHeaderList"]);
    let traces = trace_list
        .into_iter()
        .flat_map(|l| l.all("TraceHeader"))
        .map(|t| {
            Ok(Trace {
                organ_id: t.required(&["OrganId"], "TraceHeader/OrganId")?,
                at: timestamp(
                    &t.required(&["Timestamp"], "TraceHeader/Timestamp")?,
                    "TraceHeader/Timestamp",
                )?,
            })
        })
        .collect::<Result<Vec<_>, EdxmlError>>()?;
    let business = trace_list.and_then(|l| l.child("Bussiness"));
    let attachments = root
        .at(&["AttachmentEncoded"])
        .into_iter()
        .flat_map(|a| a.all("Attachment"))
        .map(attachment)
        .collect::<Result<Vec<_>, _>>()?;
    let other = header.child("OtherInfo");
    Ok(Edoc {
        to,
        document_id: header.required(&["DocumentId"], "DocumentId")?,
        code_number: header.required(&["Code", "CodeNumber"], "Code/CodeNumber")?,
        code_notation: header.required(&["Code", "CodeNotation"], "Code/CodeNotation")?,
        place: header.text(&["PromulgationInfo", "Place"]),
        promulgation_date: date(
            header,
            &["PromulgationInfo", "PromulgationDate"],
            "PromulgationInfo/PromulgationDate",
        )?
        .ok_or(EdxmlError::Missing("PromulgationInfo/PromulgationDate"))?,
        type_code: header.text(&["DocumentType", "Type"]),
        type_detail: header.text(&["DocumentType", "TypeDetail"]),
        type_name: header
            .text(&["DocumentType", "TypeName"])
            .unwrap_or_default(),
        subject: header.required(&["Subject"], "Subject")?,
        content: header.text(&["Content"]),
        signer: header.child("SignerInfo").and_then(|s| {
            Some(SignerInfo {
                competence: s.text(&["Competence"]),
                position: s.text(&["Position"]),
                full_name: s.text(&["FullName"])?,
            })
        }),
        due_date: date(header, &["DueDate"], "DueDate")?,
        priority: match other {
            Some(o) => number(o, &["Priority"], "OtherInfo/Priority")?.unwrap_or(0),
            None => 0,
        },
        sphere: other.and_then(|o| o.text(&["SphereOfPromulgation"])),
        typer_notation: other.and_then(|o| o.text(&["TyperNotation"])),
        promulgation_amount: match other {
            Some(o) => number(o, &["PromulgationAmount"], "OtherInfo/PromulgationAmount")?,
            None => None,
        },
        page_amount: match other {
            Some(o) => number(o, &["PageAmount"], "OtherInfo/PageAmount")?,
            None => None,
        },
        appendixes: other
            .and_then(|o| o.child("Appendixes"))
            .into_iter()
            .flat_map(|a| a.all("Appendix"))
            .filter_map(|a| a.text(&[]))
            .collect(),
        steering_type: header.text(&["SteeringType"]),
        to_places: header
            .child("ToPlaces")
            .into_iter()
            .flat_map(|p| p.all("Place"))
            .filter_map(|p| p.text(&[]))
            .collect(),
        traces,
        business: match business.and_then(|b| b.text(&["BussinessDocType"])) {
            Some(raw) => BusinessKind::parse(&raw)?,
            None => BusinessKind::New,
        },
        business_reason: business.and_then(|b| b.text(&["BussinessDocReason"])),
        staff: staff(business.and_then(|b| b.child("StaffInfo"))),
        attachments,
        from,
    })
}

fn attachment(node: &Node) -> Result<Attachment, EdxmlError> {
    let encoded = node
        .at(&["ContentTransferEncoded"])
        .ok_or(EdxmlError::Missing("Attachment/ContentTransferEncoded"))?;
    let base64: Vec<u8> = encoded
        .text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let name = node.text(&["AttachmentName"]).unwrap_or_default();
    let bytes = STANDARD
        .decode(&base64)
        .map_err(|_| EdxmlError::Invalid("Attachment/ContentTransferEncoded", name.clone()))?;
    let content_id = node.required(&["ContentId"], "Attachment/ContentId")?;
    Ok(Attachment {
        content_id: content_id
            .strip_prefix("cid:")
            .unwrap_or(&content_id)
            .to_owned(),
        description: node.text(&["Description"]),
        content_type: node
            .text(&["ContentType"])
            .unwrap_or_else(|| "application/octet-stream".to_owned()),
        name,
        bytes,
    })
}

// --- writing ------------------------------------------------------------------------------

/// Writes the envelope's elements with the `edXML` prefix it declares, the way the axis's own
/// systems do, and the attachments after it in the root's default namespace.
struct Out(String, &'static str);

impl Out {
    fn open(&mut self, name: &str) {
        self.0.push('<');
        self.0.push_str(self.1);
        self.0.push_str(name);
        self.0.push('>');
    }

    fn close(&mut self, name: &str) {
        self.0.push_str("</");
        self.0.push_str(self.1);
        self.0.push_str(name);
        self.0.push('>');
    }

    /// An element with text; written empty when there is none, as the standard lists it.
    fn leaf(&mut self, name: &str, text: Option<&str>) {
        self.open(name);
        self.0.push_str(&escape(text.unwrap_or_default()));
        self.close(name);
    }

    fn organ(&mut self, name: &str, o: &Organ) {
        self.open(name);
        self.leaf("OrganId", Some(&o.id));
        self.leaf("OrganizationInCharge", o.in_charge.as_deref());
        self.leaf("OrganName", Some(&o.name));
        self.leaf("OrganAdd", o.address.as_deref());
        self.leaf("Email", o.email.as_deref());
        self.leaf("Telephone", o.telephone.as_deref());
        self.leaf("Fax", o.fax.as_deref());
        self.leaf("Website", o.website.as_deref());
        self.close(name);
    }

    fn staff(&mut self, s: &Staff) {
        self.open("StaffInfo");
        self.leaf("Department", s.department.as_deref());
        self.leaf("Staff", s.name.as_deref());
        self.leaf("Email", s.email.as_deref());
        self.leaf("Mobile", s.mobile.as_deref());
        self.close("StaffInfo");
    }

    fn envelope(mut self, header: impl FnOnce(&mut Self), rest: impl FnOnce(&mut Self)) -> String {
        self.0.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        self.0.push_str(&format!(r#"<edXML xmlns="{NAMESPACE}">"#));
        self.0.push_str(&format!(
            r#"<edXML:edXMLEnvelope xmlns:edXML="{NAMESPACE}">"#
        ));
        self.open("edXMLHeader");
        header(&mut self);
        self.close("edXMLHeader");
        rest(&mut self);
        self.0.push_str("</edXML>");
        self.0
    }
}

fn date_text(d: NaiveDate) -> String {
    d.format(DATE).to_string()
}

pub fn write(message: &Message) -> String {
    match message {
        Message::Edoc(e) => write_edoc(e),
        Message::Status(s) => write_status(s),
    }
}

fn write_status(s: &StatusReport) -> String {
    Out(String::new(), "edXML:").envelope(
        |o| {
            o.open("MessageHeader");
            o.organ("From", &s.from);
            o.open("ResponseFor");
            o.leaf("OrganId", Some(&s.organ_id));
            o.leaf("Code", Some(&s.code));
            o.leaf(
                "PromulgationDate",
                s.promulgation_date.map(date_text).as_deref(),
            );
            o.leaf("DocumentId", Some(&s.document_id));
            o.close("ResponseFor");
            o.staff(&s.staff);
            o.leaf("StatusCode", Some(s.status.code()));
            o.leaf("Description", s.description.as_deref());
            o.leaf("Timestamp", Some(&s.at.format(TIMESTAMP).to_string()));
            o.close("MessageHeader");
        },
        |o| {
            o.close("edXMLEnvelope");
        },
    )
}

fn write_edoc(e: &Edoc) -> String {
    let number = |n: Option<u32>| n.map(|n| n.to_string());
    Out(String::new(), "edXML:").envelope(
        |o| {
            o.open("MessageHeader");
            o.organ("From", &e.from);
            for to in &e.to {
                o.organ("To", to);
            }
            o.leaf("DocumentId", Some(&e.document_id));
            o.open("Code");
            o.leaf("CodeNumber", Some(&e.code_number));
            o.leaf("CodeNotation", Some(&e.code_notation));
            o.close("Code");
            o.open("PromulgationInfo");
            o.leaf("Place", e.place.as_deref());
            o.leaf("PromulgationDate", Some(&date_text(e.promulgation_date)));
            o.close("PromulgationInfo");
            o.open("DocumentType");
            o.leaf("Type", e.type_code.as_deref());
            o.leaf("TypeDetail", e.type_detail.as_deref());
            o.leaf("TypeName", Some(&e.type_name));
            o.close("DocumentType");
            o.leaf("Subject", Some(&e.subject));
            o.leaf("Content", e.content.as_deref());
            if let Some(s) = &e.signer {
                o.open("SignerInfo");
                o.leaf("Competence", s.competence.as_deref());
                o.leaf("Position", s.position.as_deref());
                o.leaf("FullName", Some(&s.full_name));
                o.close("SignerInfo");
            }
            o.leaf("DueDate", e.due_date.map(date_text).as_deref());
            o.open("OtherInfo");
            o.leaf("Priority", Some(&e.priority.to_string()));
            o.leaf("SphereOfPromulgation", e.sphere.as_deref());
            o.leaf("TyperNotation", e.typer_notation.as_deref());
            o.leaf(
                "PromulgationAmount",
                number(e.promulgation_amount).as_deref(),
            );
            o.leaf("PageAmount", number(e.page_amount).as_deref());
            o.open("Appendixes");
            for a in &e.appendixes {
                o.leaf("Appendix", Some(a));
            }
            o.close("Appendixes");
            o.close("OtherInfo");
            // No steering unless asked: the one value every reader agrees on.
            o.leaf(
                "SteeringType",
                Some(e.steering_type.as_deref().unwrap_or("1")),
            );
            o.open("ToPlaces");
            for p in &e.to_places {
                o.leaf("Place", Some(p));
            }
            o.close("ToPlaces");
            o.close("MessageHeader");
            o.open("TraceHeaderList");
            for t in &e.traces {
                o.open("TraceHeader");
                o.leaf("OrganId", Some(&t.organ_id));
                o.leaf("Timestamp", Some(&t.at.format(TIMESTAMP).to_string()));
                o.close("TraceHeader");
            }
            o.open("Bussiness");
            o.leaf("BussinessDocType", Some(e.business.code()));
            o.leaf("BussinessDocReason", e.business_reason.as_deref());
            o.leaf("Paper", Some("0"));
            o.staff(&e.staff);
            o.close("Bussiness");
            o.close("TraceHeaderList");
        },
        |o| {
            o.open("edXMLBody");
            o.0.push_str(r#"<edXML:edXMLManifest version="1.0">"#);
            for a in &e.attachments {
                o.open("Reference");
                o.leaf("ContentId", Some(&format!("cid:{}", a.content_id)));
                o.leaf("ContentType", Some(&a.content_type));
                o.leaf("Description", a.description.as_deref());
                o.leaf("AttachmentName", Some(&a.name));
                o.close("Reference");
            }
            o.close("edXMLManifest");
            o.close("edXMLBody");
            o.close("edXMLEnvelope");
            o.1 = "";
            o.open("AttachmentEncoded");
            for a in &e.attachments {
                o.open("Attachment");
                o.leaf("ContentId", Some(&format!("cid:{}", a.content_id)));
                o.leaf("AttachmentName", Some(&a.name));
                o.leaf("Description", a.description.as_deref());
                o.leaf("ContentType", Some(&a.content_type));
                o.open("ContentTransferEncoded");
                for line in STANDARD.encode(&a.bytes).as_bytes().chunks(76) {
                    o.0.push_str(&String::from_utf8_lossy(line));
                    o.0.push('\n');
                }
                o.close("ContentTransferEncoded");
                o.close("Attachment");
            }
            o.close("AttachmentEncoded");
        },
    )
}

#[cfg(test)]
mod tests;
