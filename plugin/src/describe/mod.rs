//! What the destination says about itself before any config: the config's
//! JSON Schema with UI hints ([`config_schema`]), the template catalog
//! ([`catalog`]) and the named checks ([`crate::checks`]).

mod catalog;
mod config_schema;
mod fields;

pub use catalog::catalog;
pub use config_schema::{SCHEMA_ID, config_schema};
pub use fields::schema_of;

use crate::types::Description;

/// The description `describe` returns, built from the embedded catalog.
/// A broken catalog (which the tests rule out) gives an empty one.
pub fn describe() -> Description {
    let templates = crate::templates::all().unwrap_or(&[]);
    Description {
        config_schema: config_schema(templates).to_string(),
        catalog: catalog(templates).to_string(),
        checks: crate::checks::infos(),
    }
}

#[cfg(test)]
mod tests;
