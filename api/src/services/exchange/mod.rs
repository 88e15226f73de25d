//! Exchange between agencies: a document's particulars and recipients, sending and delivery,
//! the reports each recipient sends back, and recall.

pub mod arrival;
pub mod axis;
pub mod directory;
pub mod package;
pub mod particulars;
pub mod recall;
pub(crate) mod receive;
pub(crate) mod report;
pub mod send;

pub use particulars::{ExchangeInput, RecipientInput, record};
