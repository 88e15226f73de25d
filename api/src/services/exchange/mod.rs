//! Exchange between agencies: a document's particulars and recipients, sending and delivery,
//! and the reports each recipient sends back.

pub mod arrival;
pub mod axis;
pub mod directory;
pub mod package;
pub mod particulars;
pub(crate) mod receive;
pub(crate) mod report;
pub mod send;

pub use particulars::{ExchangeInput, RecipientInput, record};
