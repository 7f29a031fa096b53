//! Pure logic of the resource server: request validation and the linkage
//! rules. Nothing here performs I/O.

pub mod evidence;
pub mod linkage;
pub mod merge;
pub mod save;
pub mod stored;
pub mod validate;
