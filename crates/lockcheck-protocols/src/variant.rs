//! Stable names of protocol variants, `family/variant` (e.g.
//! `lockfile/unlink-then-write`), shared by every protocol module and used
//! by model files.

/// A name that is not one of a protocol's variants.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown variant {name:?}: expected one of {}", expected.join(", "))]
pub struct UnknownVariant {
    /// The name given.
    pub name: String,
    /// The names of the protocol's variants.
    pub expected: Vec<&'static str>,
}

/// Gives a variant enum that has an inherent `ALL` array and a
/// `name(self) -> &'static str` its `Display` and `FromStr` by stable name.
macro_rules! stable_names {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $t {
            type Err = $crate::variant::UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.name() == s)
                    .ok_or_else(|| $crate::variant::UnknownVariant {
                        name: s.to_string(),
                        expected: Self::ALL.iter().map(|v| v.name()).collect(),
                    })
            }
        }
    };
}

pub(crate) use stable_names;
