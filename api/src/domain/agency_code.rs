//! Who an organisation is on the exchange network: its QCVN 102 agency code (mã định danh,
//! `000.00.00.A52`), and the abbreviation (`TU`, `UBND`, `TTg`) its documents' symbols are
//! built from. The two are different things: a code names the agency to machines, the
//! abbreviation names it on paper.

use unicode_normalization::UnicodeNormalization;

use super::InvalidInput;

/// What kind of code an organisation carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// `V1V2V3.Z1Z2.Y1Y2.MX1X2`, lowest level first: `000.00.00.G22`, `000.00.04.G14`.
    Agency,
    /// A test environment's code outside the pattern (`vxp.saas.03`); accepted only where
    /// `EXCHANGE_ALLOW_TEST_CODES` is on.
    Test,
    /// A short code from before the exchange (`TU`, `SO-TTTT`): still valid inside this server,
    /// but it names nobody on the exchange network.
    Local,
}

/// An organisation's code, parsed. QCVN 102 codes are kept as written; local codes are
/// upper-cased as they always were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgCode {
    code: String,
    kind: CodeKind,
}

impl OrgCode {
    /// Parses a code; `allow_test` admits test environments' codes (with a warning logged).
    pub fn parse(raw: &str, allow_test: bool) -> Result<Self, InvalidInput> {
        let trimmed = raw.trim();
        if is_agency_code(trimmed) {
            return Ok(Self {
                code: trimmed.to_owned(),
                kind: CodeKind::Agency,
            });
        }
        if allow_test && is_test_code(trimmed) {
            tracing::warn!(
                code = trimmed,
                "accepting a test environment's agency code outside the QCVN 102 pattern"
            );
            return Ok(Self {
                code: trimmed.to_owned(),
                kind: CodeKind::Test,
            });
        }
        let local = trimmed.to_ascii_uppercase();
        if (2..=32).contains(&local.len())
            && local
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '-' | '_'))
        {
            return Ok(Self {
                code: local,
                kind: CodeKind::Local,
            });
        }
        Err(InvalidInput::new(
            "code",
            "must be a QCVN 102 agency code such as `000.00.00.A52` (three digits, two, two, \
             then a capital letter and two digits, dot-separated), or a local code of 2 to 32 \
             letters A-Z, digits, `-` and `_`",
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.code
    }

    pub fn kind(&self) -> CodeKind {
        self.kind
    }

    /// Whether documents can be addressed to it over an exchange axis.
    pub fn on_exchange(&self) -> bool {
        self.kind != CodeKind::Local
    }
}

/// `ddd.dd.dd.Ldd`
fn is_agency_code(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [v, z, y, mx] => {
            digits(v, 3)
                && digits(z, 2)
                && digits(y, 2)
                && mx.len() == 3
                && mx.as_bytes()[0].is_ascii_uppercase()
                && digits(&mx[1..], 2)
        }
        _ => false,
    }
}

/// Dotted ASCII words, as test axes hand out: `vxp.saas.03`.
fn is_test_code(s: &str) -> bool {
    (3..=32).contains(&s.len())
        && s.contains('.')
        && s.split('.').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        })
}

/// Chữ viết tắt: the organisation's (or unit's) abbreviation in symbols, `TU`, `UBND`, `TTg`,
/// `VPCP`, `TTĐT`: 1 to 16 letters (Vietnamese ones included, case kept) or digits, starting
/// with a letter, without `-` or `/`, which separate the parts of a symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abbreviation(String);

impl Abbreviation {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let text: String = raw.trim().nfc().collect();
        if !(1..=16).contains(&text.chars().count()) {
            return Err(InvalidInput::new(
                "abbreviation",
                "must be 1 to 16 characters long",
            ));
        }
        if !text.chars().all(char::is_alphanumeric) || !text.starts_with(char::is_alphabetic) {
            return Err(InvalidInput::new(
                "abbreviation",
                "may contain only letters and digits, starting with a letter (`UBND`, `TTg`)",
            ));
        }
        Ok(Self(text))
    }

    /// The abbreviation of an organisation created before abbreviations existed, or created
    /// with a local code and none given: the code itself, as its symbols were built before.
    pub fn from_local_code(code: &OrgCode) -> Option<Self> {
        (code.kind() == CodeKind::Local).then(|| Self(code.as_str().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qcvn_102_codes_are_kept_as_written() {
        for code in [
            "000.00.00.A52",
            "000.00.00.G22",
            "000.00.04.G14",
            "001.00.00.H41",
        ] {
            let parsed = OrgCode::parse(&format!(" {code} "), false).unwrap();
            assert_eq!(parsed.as_str(), code);
            assert_eq!(parsed.kind(), CodeKind::Agency);
            assert!(parsed.on_exchange());
        }
    }

    #[test]
    fn local_codes_stay_valid_but_are_not_on_the_exchange() {
        let local = OrgCode::parse(" so-tttt ", false).unwrap();
        assert_eq!(local.as_str(), "SO-TTTT");
        assert_eq!(local.kind(), CodeKind::Local);
        assert!(!local.on_exchange());
        assert_eq!(
            Abbreviation::from_local_code(&local).unwrap().as_str(),
            "SO-TTTT"
        );
    }

    #[test]
    fn test_codes_only_where_allowed() {
        assert!(OrgCode::parse("vxp.saas.03", false).is_err());
        let test = OrgCode::parse("vxp.saas.03", true).unwrap();
        assert_eq!(
            (test.as_str(), test.kind()),
            ("vxp.saas.03", CodeKind::Test)
        );
        assert!(test.on_exchange());
        assert_eq!(Abbreviation::from_local_code(&test), None);
    }

    #[test]
    fn near_misses_are_refused() {
        for bad in [
            "",
            "X",
            "SỞ",
            "00.00.00.A52",
            "000.00.00.a52",
            "000.00.00.A5",
            "000.00.00.52A",
            "000.00.00.A52.1",
            "000,00,00,A52",
            "000.00.00.A52 x",
        ] {
            assert!(OrgCode::parse(bad, false).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn abbreviations() {
        for ok in ["TU", "UBND", "TTg", "VPCP", "TTĐT", "SGDĐT", "BCĐ389"] {
            assert_eq!(Abbreviation::parse(ok).unwrap().as_str(), ok);
        }
        // `Đ` typed decomposed or not is one abbreviation.
        assert_eq!(
            Abbreviation::parse("TTĐT").unwrap(),
            Abbreviation::parse("TTĐT".nfd().collect::<String>().as_str()).unwrap()
        );
        for bad in ["", "UBND-VX", "QĐ/TU", "1TU", "U B", "ABCDEFGHIJKLMNOPQ"] {
            assert!(Abbreviation::parse(bad).is_err(), "{bad:?}");
        }
    }
}
