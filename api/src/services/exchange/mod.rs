//! Exchange between agencies: a document's particulars and recipients (this module), sending
//! and delivery.

pub mod axis;
pub mod directory;
pub mod particulars;

pub use particulars::{ExchangeInput, RecipientInput, record};
