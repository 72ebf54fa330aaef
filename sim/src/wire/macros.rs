//! `wire_enum!`: a `Copy` enum of known values with an `Unknown(raw)` catch-all, convertible both ways, so that
//! parsing never fails on a value this crate does not name (smoltcp's `enum_with_unknown!` is private to it).

/// Declares `enum $name { $variant = $value, …, Unknown($ty) }` with `From<$ty>` and `From<$name> for $ty`.
macro_rules! wire_enum {
    (
        $(#[$enum_attr:meta])*
        pub enum $name:ident($ty:ty) {
            $( $(#[$variant_attr:meta])* $variant:ident = $value:expr ),+ $(,)?
        }
    ) => {
        $(#[$enum_attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$variant_attr])* $variant ),+,
            /// A value this crate does not name, kept as it was on the wire.
            Unknown($ty),
        }

        impl ::core::convert::From<$ty> for $name {
            fn from(value: $ty) -> Self {
                match value {
                    $( $value => $name::$variant ),+,
                    other => $name::Unknown(other),
                }
            }
        }

        impl ::core::convert::From<$name> for $ty {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $value ),+,
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}

pub(crate) use wire_enum;
