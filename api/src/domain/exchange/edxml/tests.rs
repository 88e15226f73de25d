use std::{path::PathBuf, process::Command};

use chrono::NaiveDate;

use super::*;

const EDOC_SAMPLE: &[u8] = include_bytes!("../samples/edoc-new.edxml");
const STATUS_SAMPLE: &[u8] = include_bytes!("../samples/status-03.edxml");

fn edoc(message: Message) -> Edoc {
    match message {
        Message::Edoc(e) => *e,
        Message::Status(s) => panic!("expected a document, got {s:?}"),
    }
}

fn status(message: Message) -> StatusReport {
    match message {
        Message::Status(s) => *s,
        Message::Edoc(e) => panic!("expected a status, got {e:?}"),
    }
}

/// `xmllint --schema edxml.xsd` over `xml`: a validator nobody here wrote.
fn schema_check(xml: &[u8]) -> Result<(), String> {
    let schema = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/domain/exchange/edxml.xsd");
    let file = std::env::temp_dir().join(format!("vanban-{}.edxml", uuid::Uuid::new_v4()));
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("xmllint (libxml2-utils) is installed by scripts/test");
    let _ = std::fs::remove_file(&file);
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn ours() -> Edoc {
    let organ = |id: &str, name: &str| Organ {
        id: id.into(),
        name: name.into(),
        ..Organ::default()
    };
    Edoc {
        from: Organ {
            in_charge: Some("Tỉnh ủy Quảng Ngãi".into()),
            address: Some("Số 1 Hùng Vương, TP. Quảng Ngãi".into()),
            email: Some("vanthu@quangngai.dcs.vn".into()),
            ..organ("000.00.00.A52", "Văn phòng Tỉnh ủy Quảng Ngãi")
        },
        to: vec![
            organ("000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An"),
            organ("000.00.00.G22", "Văn phòng Chính phủ"),
        ],
        document_id: "000.00.00.A52,2026/12/01,1945-QĐ/TU".into(),
        code_number: "1945".into(),
        code_notation: "QĐ/TU".into(),
        place: Some("Quảng Ngãi".into()),
        promulgation_date: date(2026, 12, 1),
        type_code: Some("2".into()),
        type_detail: None,
        type_name: "Quyết định".into(),
        subject:
            "Về việc ban hành Quy chế làm việc của Ban Chấp hành Đảng bộ tỉnh & các ban <khóa XXI>"
                .into(),
        content: None,
        signer: Some(SignerInfo {
            competence: Some("T/M BAN THƯỜNG VỤ".into()),
            position: Some("BÍ THƯ".into()),
            full_name: "Phạm Minh Tấn".into(),
        }),
        due_date: Some(date(2026, 12, 31)),
        priority: 2,
        sphere: Some("Liên thông văn bản quốc gia".into()),
        typer_notation: Some("VT".into()),
        promulgation_amount: Some(1),
        page_amount: Some(3),
        appendixes: vec!["Phụ lục I: Danh sách Ban Chấp hành".into()],
        steering_type: Some("1".into()),
        to_places: vec!["Như Điều 3".into(), "Lưu: VT".into()],
        traces: vec![Trace {
            organ_id: "000.00.00.A52".into(),
            at: date(2026, 12, 1).and_hms_opt(9, 12, 0).unwrap(),
        }],
        business: BusinessKind::New,
        business_reason: None,
        staff: Staff {
            department: Some("Văn phòng Tỉnh ủy".into()),
            name: Some("Lê Thị Cúc".into()),
            email: None,
            mobile: None,
        },
        attachments: vec![
            Attachment {
                content_id: "9b1c0e52-1d0f-4a8e-bb52-1a2b3c4d5e6f".into(),
                name: "1945-QĐ-TU.pdf".into(),
                description: Some("Văn bản chính".into()),
                content_type: "application/pdf".into(),
                bytes: crate::signing::sample::minimal_pdf("Quyet dinh", 300),
            },
            Attachment {
                content_id: "c2d3e4f5-0000-4a8e-bb52-1a2b3c4d5e6f".into(),
                name: "Phụ lục I.pdf".into(),
                description: None,
                content_type: "application/pdf".into(),
                bytes: crate::signing::sample::minimal_pdf("Phu luc", 0),
            },
        ],
    }
}

#[test]
fn another_provinces_document_is_read_with_everything_the_clerk_needs() {
    let e = edoc(read(EDOC_SAMPLE).unwrap());
    assert_eq!(e.from.id, "000.00.00.H41");
    assert_eq!(e.from.name, "Ủy ban nhân dân tỉnh Nghệ An");
    assert_eq!(e.to.len(), 1);
    assert_eq!(e.to[0].id, "000.00.00.A52");
    assert_eq!(e.document_id, "000.00.00.H41,2026/11/20,215/UBND-VX");
    assert_eq!(
        (e.code_number.as_str(), e.code_notation.as_str()),
        ("215", "UBND-VX")
    );
    assert_eq!(e.promulgation_date, date(2026, 11, 20));
    assert_eq!(e.type_name, "Công văn");
    assert_eq!(
        e.subject,
        "V/v triển khai gửi, nhận văn bản điện tử giữa các cơ quan"
    );
    assert_eq!(e.content, None, "an empty element is an absent value");
    let signer = e.signer.unwrap();
    assert_eq!(signer.competence.as_deref(), Some("KT. CHỦ TỊCH"));
    assert_eq!(signer.full_name, "Nguyễn Văn An");
    assert_eq!(e.due_date, Some(date(2026, 12, 15)));
    assert_eq!(e.priority, 1);
    assert_eq!(e.to_places, ["Như trên", "Lưu: VT, VX"]);
    assert_eq!(e.traces.len(), 1);
    assert_eq!(e.business, BusinessKind::New);
    assert_eq!(e.staff.name.as_deref(), Some("Trần Thị Bình"));
    assert_eq!(e.attachments.len(), 1);
    let pdf = &e.attachments[0];
    assert_eq!(pdf.content_id, "5f0c1a7e-2b6d-4f51-9a1e-0c3d2b7e9f10");
    assert!(pdf.is_pdf() && pdf.bytes.ends_with(b"%%EOF\n"));
}

#[test]
fn a_registered_status_names_the_document_and_who_registered_it() {
    let s = status(read(STATUS_SAMPLE).unwrap());
    assert_eq!(s.from.id, "000.00.00.A52");
    assert_eq!(s.status, DeliveryStatus::Registered);
    assert_eq!(s.document_id, "000.00.00.H41,2026/11/20,215/UBND-VX");
    assert_eq!(s.organ_id, "000.00.00.H41");
    assert_eq!(s.staff.name.as_deref(), Some("Lê Thị Cúc"));
    assert_eq!(
        s.description.as_deref(),
        Some("Đã tiếp nhận, vào sổ văn bản đến số 1024")
    );
    assert_eq!(s.at, date(2026, 11, 20).and_hms_opt(14, 2, 51).unwrap());
}

#[test]
fn what_we_write_passes_the_schema_and_reads_back_the_same() {
    let document = Message::Edoc(Box::new(ours()));
    let written = write(&document);
    schema_check(written.as_bytes()).unwrap();
    assert_eq!(read(written.as_bytes()).unwrap(), document);

    let report = Message::Status(Box::new(StatusReport {
        from: ours().to[0].clone(),
        organ_id: "000.00.00.A52".into(),
        code: "1945-QĐ/TU".into(),
        promulgation_date: Some(date(2026, 12, 1)),
        document_id: "000.00.00.A52,2026/12/01,1945-QĐ/TU".into(),
        staff: Staff::default(),
        status: DeliveryStatus::Refused,
        description: Some("Gửi nhầm nơi nhận: đề nghị gửi Sở Nội vụ".into()),
        at: date(2026, 12, 1).and_hms_opt(10, 0, 5).unwrap(),
    }));
    let written = write(&report);
    schema_check(written.as_bytes()).unwrap();
    assert_eq!(read(written.as_bytes()).unwrap(), report);
}

#[test]
fn the_schema_takes_the_design_samples_and_refuses_a_broken_message() {
    schema_check(EDOC_SAMPLE).unwrap();
    schema_check(STATUS_SAMPLE).unwrap();
    let broken = String::from_utf8_lossy(STATUS_SAMPLE).replace(">03<", ">07<");
    assert!(schema_check(broken.as_bytes()).is_err());
}

#[test]
fn prefixes_foreign_elements_and_whitespace_do_not_change_what_is_read() {
    let text = String::from_utf8_lossy(EDOC_SAMPLE);
    // Another prefix for the same namespace, and an XML signature in its own.
    let renamed = text
        .replace("edXML:", "ns2:")
        .replace("xmlns:edXML=", "xmlns:ns2=")
        .replace(
            "</ns2:edXMLHeader>",
            "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
             <ds:Subject>not ours</ds:Subject></ds:SignedInfo></ds:Signature></ns2:edXMLHeader>",
        );
    assert_eq!(
        read(renamed.as_bytes()).unwrap(),
        read(EDOC_SAMPLE).unwrap()
    );
    let entities = text.replace("V/v triển khai", "V/v triển khai &amp; &#272;ôn &#x111;ốc");
    let e = edoc(read(entities.as_bytes()).unwrap());
    assert!(
        e.subject.starts_with("V/v triển khai & Đôn đốc"),
        "{}",
        e.subject
    );
}

#[test]
fn a_malformed_or_hostile_message_is_refused_with_a_reason() {
    let refused = |xml: &str| read(xml.as_bytes()).unwrap_err().to_string();
    assert!(refused("không phải XML").contains("edXML"));
    assert!(refused("<edXML xmlns=\"urn:other\"><a/></edXML>").contains("not edXML"));
    assert!(refused("<edXML><edXMLEnvelope>").contains("well-formed"));
    let text = String::from_utf8_lossy(EDOC_SAMPLE);
    let no_id = text.replace(
        "<edXML:DocumentId>000.00.00.H41,2026/11/20,215/UBND-VX</edXML:DocumentId>",
        "",
    );
    assert_eq!(refused(&no_id), "DocumentId is missing");
    let bad_date = text.replace(
        ">2026/11/20</edXML:PromulgationDate>",
        ">20-11-2026</edXML:PromulgationDate>",
    );
    assert!(refused(&bad_date).contains("PromulgationDate"));
    let bad_status = String::from_utf8_lossy(STATUS_SAMPLE).replace(">03<", ">99<");
    assert!(refused(&bad_status).contains("StatusCode"));
    // Entity expansion is never attempted.
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE edXML [<!ENTITY a \"aaaa\">]><edXML>&a;</edXML>";
    assert!(refused(laughs).contains("DOCTYPE"));
    let deep = format!("<edXML>{}{}</edXML>", "<x>".repeat(100), "</x>".repeat(100));
    assert!(refused(&deep).contains("deeper"));
}
