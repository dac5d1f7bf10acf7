//! Privilege escalation: the methods (published paths and rolecall's own), the facts about
//! every role that judging a method needs ([`index::Index`]), and the judge.

pub mod index;
pub mod judge;
pub mod methods;

pub use index::{Chain, Edge, EdgeKind, Index, Power};
pub use judge::{judge, Hit, NoOthers, Others, Subject, Use};
pub use methods::{methods, Method, Origin, Reach};
