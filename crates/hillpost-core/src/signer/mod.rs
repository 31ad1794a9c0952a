//! Who signed: parsed, normalised values. A value of these types that exists is valid
//! ("parse, don't validate"), so later steps never re-check an email or a ZIP code.

mod country;
mod email;
mod language;
mod name;
mod postal;
mod signature;
mod state;

pub use country::{Country, CountryError};
pub use email::{Email, EmailError};
pub use language::{Language, LanguageError};
pub use name::{NameError, OrganizationName, PersonName};
pub use postal::{PostalCode, PostalCodeError};
pub use signature::{NewSignature, PostalAddress, SignerKind};
pub use state::{UsState, UsStateError};
