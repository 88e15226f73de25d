//! The QCVN 102 status codes a recipient reports about a document it was sent, and which of
//! them may follow which.

use super::InvalidInput;

/// A recipient's progress, as the code travels in a status message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeliveryStatus {
    /// 01 đã đến: the receiving system has it; no clerk has looked yet.
    Arrived,
    /// 02 từ chối tiếp nhận, with a reason.
    Refused,
    /// 03 đã tiếp nhận: registered in the incoming register.
    Registered,
    /// 04 phân công: a leader assigned handlers.
    Assigned,
    /// 05 đang xử lý.
    InProgress,
    /// 06 hoàn thành: the lead handler completed it.
    Completed,
    /// 13 yêu cầu lấy lại: the sender asks for it back.
    RecallRequested,
    /// 15 đồng ý lấy lại.
    RecallAgreed,
    /// 16 từ chối lấy lại.
    RecallRefused,
}

impl DeliveryStatus {
    pub const ALL: &[Self] = &[
        Self::Arrived,
        Self::Refused,
        Self::Registered,
        Self::Assigned,
        Self::InProgress,
        Self::Completed,
        Self::RecallRequested,
        Self::RecallAgreed,
        Self::RecallRefused,
    ];

    /// The two-digit code, as stored and exchanged.
    pub fn code(self) -> &'static str {
        match self {
            Self::Arrived => "01",
            Self::Refused => "02",
            Self::Registered => "03",
            Self::Assigned => "04",
            Self::InProgress => "05",
            Self::Completed => "06",
            Self::RecallRequested => "13",
            Self::RecallAgreed => "15",
            Self::RecallRefused => "16",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let raw = raw.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.code() == raw)
            .ok_or_else(|| InvalidInput::new("status", format!("unknown status code `{raw}`")))
    }

    /// Its meaning in Vietnamese, as the sender's screen shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Arrived => "Đã đến",
            Self::Refused => "Từ chối tiếp nhận",
            Self::Registered => "Đã tiếp nhận",
            Self::Assigned => "Phân công",
            Self::InProgress => "Đang xử lý",
            Self::Completed => "Hoàn thành",
            Self::RecallRequested => "Yêu cầu lấy lại",
            Self::RecallAgreed => "Đồng ý lấy lại",
            Self::RecallRefused => "Từ chối lấy lại",
        }
    }

    /// Where a recipient stands on the road 01 → 03 → 04 → 05 → 06; a refusal ends it.
    fn rank(self) -> u8 {
        match self {
            Self::Arrived => 1,
            Self::Registered => 3,
            Self::Assigned => 4,
            Self::InProgress => 5,
            Self::Completed => 6,
            Self::Refused => 7,
            Self::RecallRequested | Self::RecallAgreed | Self::RecallRefused => 0,
        }
    }

    /// Whether a report of `next` moves a recipient now at `self` (or never reported, `None`)
    /// forward. Reports arrive late, twice, or out of order: only progress is kept, and nothing
    /// follows a refusal or a completion.
    fn advances(current: Option<Self>, next: Self) -> bool {
        match current {
            None => true,
            Some(Self::Refused | Self::Completed) => false,
            Some(now) => next.rank() > now.rank() || next == Self::Refused,
        }
    }

    /// Whether a report of `next` counts for a delivery whose progress is `status` and whose
    /// recall is `recall`. A recall runs beside the progress: it may be asked (13) only before
    /// the recipient registered the document, and not again while asked or once agreed; only
    /// an asked recall is answered (15, 16); nothing moves a delivery its recipient gave back.
    pub fn counts(status: Option<Self>, recall: Option<Self>, next: Self) -> bool {
        match next {
            Self::RecallRequested => {
                matches!(status, None | Some(Self::Arrived))
                    && matches!(recall, None | Some(Self::RecallRefused))
            }
            Self::RecallAgreed | Self::RecallRefused => recall == Some(Self::RecallRequested),
            _ => recall != Some(Self::RecallAgreed) && Self::advances(status, next),
        }
    }

    /// Whether it is a recall's request or answer rather than progress.
    pub fn is_recall(self) -> bool {
        matches!(
            self,
            Self::RecallRequested | Self::RecallAgreed | Self::RecallRefused
        )
    }

    /// Whether the sender should be told at once (a push to the author and the signer).
    pub fn notifies_sender(self) -> bool {
        matches!(
            self,
            Self::Refused | Self::Completed | Self::RecallAgreed | Self::RecallRefused
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryStatus::*;

    #[test]
    fn codes_round_trip() {
        for &s in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(s.code()), Ok(s));
        }
        for bad in ["", "1", "07", "14", "đến"] {
            assert!(DeliveryStatus::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_progress_is_kept() {
        assert!(DeliveryStatus::advances(None, Arrived));
        assert!(DeliveryStatus::advances(Some(Arrived), Registered));
        assert!(DeliveryStatus::advances(Some(Registered), Completed));
        assert!(DeliveryStatus::advances(Some(Arrived), Refused));
        // Late or repeated reports change nothing.
        assert!(!DeliveryStatus::advances(Some(Registered), Arrived));
        assert!(!DeliveryStatus::advances(Some(Assigned), Assigned));
        // Nothing follows the end.
        assert!(!DeliveryStatus::advances(Some(Refused), Registered));
        assert!(!DeliveryStatus::advances(Some(Completed), Refused));
    }

    #[test]
    fn a_recall_runs_beside_the_progress_until_registration() {
        let counts = DeliveryStatus::counts;
        // Asked before registration, not after, and not twice.
        assert!(counts(None, None, RecallRequested));
        assert!(counts(Some(Arrived), None, RecallRequested));
        assert!(!counts(Some(Registered), None, RecallRequested));
        assert!(!counts(Some(Refused), None, RecallRequested));
        assert!(!counts(
            Some(Arrived),
            Some(RecallRequested),
            RecallRequested
        ));
        // Asked again after a refusal; never after an agreement.
        assert!(counts(Some(Arrived), Some(RecallRefused), RecallRequested));
        assert!(!counts(Some(Arrived), Some(RecallAgreed), RecallRequested));
        // Only an asked recall is answered, once.
        assert!(counts(Some(Arrived), Some(RecallRequested), RecallAgreed));
        assert!(counts(Some(Arrived), Some(RecallRequested), RecallRefused));
        assert!(!counts(Some(Arrived), None, RecallAgreed));
        assert!(!counts(Some(Arrived), Some(RecallAgreed), RecallRefused));
        // A pending recall does not stop progress; an agreed one ends it.
        assert!(counts(Some(Arrived), Some(RecallRequested), Registered));
        assert!(!counts(Some(Arrived), Some(RecallAgreed), Registered));
    }
}
