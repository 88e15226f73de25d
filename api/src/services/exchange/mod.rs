//! Exchange between agencies: a document's particulars and recipients (this module), sending
//! and delivery.

pub mod particulars;

pub use particulars::{ExchangeInput, RecipientInput, record};
